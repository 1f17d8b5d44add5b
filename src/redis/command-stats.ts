/**
 * INFO commandstats, read for pacing: how much of the node's time the scan's commands take,
 * and whether anyone else is being served. Server text: every number is bounded and a line
 * that does not parse is skipped.
 */
import type { RespConnection } from './resp-connection.js';

export interface CommandStats {
  /** Calls of every command that is not one of keyheat's, nor a size command: other clients' traffic. */
  readonly othersCalls: number;
  readonly scanCalls: number;
  readonly scanUsec: number;
  /** OBJECT FREQ (Redis 7+: object|freq; before: every OBJECT subcommand together). */
  readonly objectCalls: number;
  readonly objectUsec: number;
  /** TYPE: one per key read in a big key scan (a hot key scan sends it for its final keys only). */
  readonly typeCalls: number;
  readonly typeUsec: number;
  /**
   * The size commands (STRLEN, LLEN, SCARD, ZCARD, HLEN, XLEN, MEMORY USAGE), which a big key
   * scan sends for every key and other clients send too: the traffic monitor counts as others'
   * whatever exceeds what keyheat sent.
   */
  readonly sizeCalls: number;
  readonly sizeUsec: number;
  /**
   * The scan's own key command when it is none of the above (the expired key scan's PTTL), only
   * when one was named: its calls (keyheat's and other clients', told apart by the traffic
   * monitor) are not in othersCalls.
   */
  readonly keyCommandCalls?: number;
  readonly keyCommandUsec?: number;
}

/** Commands keyheat itself sends during a scan; everything else is other clients' traffic. */
const OWN_COMMANDS = /^cmdstat_(scan|object(\|.*)?|info|select|client(\|.*)?|auth|ping|type|cluster(\|.*)?|asking|readonly|command(\|.*)?)$/;
const SIZE_COMMANDS = /^cmdstat_(strlen|llen|scard|zcard|hlen|xlen|memory\|usage|memory)$/;
const STAT = /^(cmdstat_[a-z0-9_|-]{1,64}):calls=(\d{1,15}),usec=(\d{1,18})(?:,|$)/;

/** `keyCommand`: the commandstats name of a scan's own key command other than OBJECT FREQ and TYPE ('pttl'). */
export function parseCommandStats(text: string, keyCommand?: string): CommandStats {
  const keyStat = keyCommand === undefined ? null : `cmdstat_${keyCommand}`;
  let keyCommandCalls = 0;
  let keyCommandUsec = 0;
  let othersCalls = 0;
  let scanCalls = 0;
  let scanUsec = 0;
  let objectCalls = 0;
  let objectUsec = 0;
  let typeCalls = 0;
  let typeUsec = 0;
  let sizeCalls = 0;
  let sizeUsec = 0;
  for (const line of text.split('\r\n')) {
    const match = STAT.exec(line);
    if (match === null) continue;
    const name = match[1] as string;
    const calls = Number(match[2]);
    const usec = Number(match[3]);
    if (name === keyStat) {
      keyCommandCalls += calls;
      keyCommandUsec += usec;
      continue;
    }
    if (name === 'cmdstat_scan') {
      scanCalls += calls;
      scanUsec += usec;
    } else if (name === 'cmdstat_object|freq' || name === 'cmdstat_object') {
      objectCalls += calls;
      objectUsec += usec;
    } else if (name === 'cmdstat_type') {
      typeCalls += calls;
      typeUsec += usec;
    } else if (SIZE_COMMANDS.test(name)) {
      sizeCalls += calls;
      sizeUsec += usec;
      continue;
    }
    if (!OWN_COMMANDS.test(name)) othersCalls += calls;
  }
  const stats = { othersCalls, scanCalls, scanUsec, objectCalls, objectUsec, typeCalls, typeUsec, sizeCalls, sizeUsec };
  return keyStat === null ? stats : { ...stats, keyCommandCalls, keyCommandUsec };
}

export async function readCommandStats(connection: RespConnection, keyCommand?: string): Promise<CommandStats> {
  return parseCommandStats(await connection.text(['INFO', 'commandstats']), keyCommand);
}
