/** A confirmation in a modal <dialog>: focus is trapped by the browser, Escape cancels. */
import { useEffect, useRef } from 'preact/hooks';

export function Confirm(props: { readonly title: string; readonly message: string; readonly action: string; readonly onConfirm: () => void; readonly onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onCancel={props.onCancel}>
      <h2 id="confirm-title">{props.title}</h2>
      <p>{props.message}</p>
      <div class="actions">
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.action}
        </button>
        <button type="button" onClick={props.onCancel} autofocus>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
