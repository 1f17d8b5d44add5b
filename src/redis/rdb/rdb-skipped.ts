/**
 * The values an RDB holds that keyheat walks only to get past them, for the parser's layers
 * (rdb-values.ts reads the collections, rdb-parser.ts the file): streams (listpacks, metadata,
 * consumer groups, their PELs and consumers, v4's idempotent producers: their entries counted,
 * nothing held), module values and MODULE_AUX blocks (skipped by their typed opcodes), function
 * libraries. Also the state of the value being read, which every value layer shares.
 */
import { FOR_FUNCTION, FOR_KEY, FOR_KEY_META, FOR_MODULE_AUX, P_ELEMS, P_FINISH, P_LENS, P_META_CLASS, P_MODULE, P_STREAM, P_TOP } from './rdb-phases.js';

/** The greatest slot ranges a slot import can have: one per slot. */
const MAX_SLOT_RANGES = 16_384;
/** Classes of key metadata a key can carry (KEY_META_MAX_NUM_MODULES). */
const MAX_KEY_META_CLASSES = 7;
import { moduleNameOf, STRING_TYPE, type TypeInfo } from './rdb-format.js';
import { NEED } from './rdb-cursor.js';
import { RdbStrings } from './rdb-strings.js';

export abstract class RdbSkipped extends RdbStrings {
  // The value being read.
  protected info: TypeInfo = STRING_TYPE;
  protected key: Buffer = Buffer.alloc(0);
  protected size = 0;
  protected encoding = '';
  protected moduleName: string | undefined = undefined;
  protected valueFor = FOR_KEY;
  protected left = 0;
  // Stream walk.
  protected stStage = 0;
  protected stLeft = 0;
  protected stGroups = 0;
  protected stConsumers = 0;
  /** Classes of key metadata still to skip (KEY_META). */
  private metaLeft = 0;

  /** Valkey: an unfinished slot import of a cluster node, skipped: a 40-byte job name, then its slot ranges. */
  protected slotImport(): void {
    this.skipSmall('a slot import job name');
    const ranges = this.len('a slot range count');
    if (ranges > MAX_SLOT_RANGES) this.fail(`a slot import with ${ranges} slot ranges (a cluster has ${MAX_SLOT_RANGES} slots)`);
    this.left = ranges * 2;
    this.phase = P_LENS;
  }

  /** One slot number of a slot import's ranges. */
  protected slotRangeStep(): void {
    if (this.left === 0) {
      this.phase = P_TOP;
      return;
    }
    this.skipLen('a slot number');
    this.left -= 1;
  }

  /** Redis 8.6: module metadata of the key that follows (classes, each a module-style value), skipped. */
  protected keyMeta(): void {
    const classes = this.len('a key metadata class count');
    if (classes === 0 || classes > MAX_KEY_META_CLASSES) this.fail(`key metadata with ${classes} classes (1 to ${MAX_KEY_META_CLASSES} exist)`);
    this.metaLeft = classes;
    this.key = Buffer.alloc(0);
    this.phase = P_META_CLASS;
  }

  /** A class: 4 bytes naming it, then its module-style value up to its EOF opcode. */
  protected metaClassStep(): void {
    this.ensure(4);
    this.pos += 4;
    this.valueFor = FOR_KEY_META;
    this.phase = P_MODULE;
  }

  /** A class's value ended: the next class, or back to the key's type byte. */
  protected metaClassDone(): void {
    this.metaLeft -= 1;
    this.phase = this.metaLeft > 0 ? P_META_CLASS : P_TOP;
  }

  /**
   * Streams (types 15, 19, 21), walked in stages so a huge consumer group PEL never has to be
   * held: listpacks (node key + listpack, skipped), metadata, groups, their PELs and consumers.
   */
  protected stream(): void {
    const v = this.info.streamVersion as number;
    switch (this.stStage) {
      case 0: // listpack nodes: a 16-byte master ID key, then the listpack
        if (this.stLeft === 0) {
          this.stStage = 2;
          return;
        }
        {
          const keyLength = this.rawLen();
          if (keyLength !== 16) this.fail(`a stream node key is ${keyLength === -1 ? 'encoded' : `${keyLength} bytes`}, not a 16-byte ID`);
          this.ensure(16);
          this.pos += 16;
        }
        this.stStage = 1;
        return;
      case 1: {
        const length = this.skipString(P_STREAM);
        if (length === 0) this.fail('a stream node has an empty listpack');
        this.stLeft -= 1;
        this.stStage = 0;
        return;
      }
      case 2: {
        const entries = this.len('a stream length');
        this.skipLen('a stream ID');
        this.skipLen('a stream ID');
        if (v >= 2) {
          for (let i = 0; i < 5; i++) this.skipLen('a stream ID or counter');
        }
        const groups = this.len('a stream group count');
        this.size = entries;
        this.stGroups = groups;
        this.stStage = 3;
        return;
      }
      case 3: // group header
        if (this.stGroups === 0) {
          if (v >= 4) this.stStage = 7;
          else this.phase = P_FINISH;
          return;
        }
        this.skipSmall('a consumer group name');
        this.skipLen('a group ID');
        this.skipLen('a group ID');
        if (v >= 2) this.skipLen('a group entries-read counter');
        this.stLeft = this.len('a group PEL size');
        this.stGroups -= 1;
        this.stStage = 4;
        return;
      case 4: // group PEL: 16-byte raw ID, 8-byte delivery time, delivery count
        if (this.stLeft === 0) {
          this.stConsumers = this.len('a consumer count');
          this.stStage = 5;
          return;
        }
        this.ensure(24);
        this.pos += 24;
        this.skipLen('a delivery count');
        this.stLeft -= 1;
        return;
      case 5: // consumer header
        if (this.stConsumers === 0) {
          this.stStage = 3;
          return;
        }
        this.skipSmall('a consumer name');
        this.ensure(v >= 3 ? 16 : 8);
        this.pos += v >= 3 ? 16 : 8;
        this.stLeft = this.len('a consumer PEL size');
        this.stConsumers -= 1;
        this.stStage = 6;
        return;
      case 6: // consumer PEL: 16-byte raw IDs
        if (this.stLeft === 0) {
          this.stStage = 5;
          return;
        }
        {
          const n = Math.min(this.stLeft, Math.floor((this.lim - this.pos) / 16));
          if (n === 0) throw NEED;
          this.pos += n * 16;
          this.stLeft -= n;
        }
        return;
      // Stream v4 (Redis 8.6): idempotent producers after the groups.
      case 7:
        this.skipLen('an IDMP duration');
        this.skipLen('an IDMP entry limit');
        this.stLeft = this.len('an IDMP producer count');
        this.stStage = 8;
        return;
      case 8: // a producer: its id, then its entries
        if (this.stLeft === 0) {
          this.stStage = 11;
          return;
        }
        this.skipString(P_STREAM);
        this.stStage = 9;
        return;
      case 9:
        this.stConsumers = this.len('an IDMP entry count');
        this.stStage = 10;
        return;
      case 10: // an entry: its idempotent id, and the stream ID it made (ms, seq)
        if (this.stConsumers === 0) {
          this.stLeft -= 1;
          this.stStage = 8;
          return;
        }
        this.skipString(P_STREAM);
        this.stStage = 12;
        return;
      case 12:
        this.skipLen('a stream ID');
        this.skipLen('a stream ID');
        this.stConsumers -= 1;
        this.stStage = 10;
        return;
      case 11:
        this.skipLen('an IDMP counter');
        this.skipLen('an IDMP counter');
        this.phase = P_FINISH;
        return;
    }
  }

  protected startModule(valueFor: number): void {
    const id = this.lenBig('a module id');
    this.moduleName = moduleNameOf(id);
    this.valueFor = valueFor;
    this.size = 0;
    this.encoding = 'module';
    this.phase = P_MODULE;
  }

  /** One typed opcode of a module value (RDB_MODULE_OPCODE_*), skipped; EOF (0) ends the value. */
  protected moduleOpcode(): void {
    const op = this.len('a module opcode');
    switch (op) {
      case 0:
        this.phase = P_FINISH;
        return;
      case 1:
      case 2:
        this.skipLen('a module integer');
        return;
      case 3:
        this.ensure(4);
        this.pos += 4;
        return;
      case 4:
        this.ensure(8);
        this.pos += 8;
        return;
      case 5:
        this.skipString(P_MODULE);
        return;
      default:
        this.fail(`unknown module opcode ${op} in module ${this.moduleName ?? '?'}`);
    }
  }

  protected moduleAux(): void {
    const id = this.lenBig('a module id');
    const whenOpcode = this.len('a module aux when-opcode');
    if (whenOpcode !== 2) this.fail(`a MODULE_AUX block has the when-opcode ${whenOpcode}, not 2 (UINT)`);
    this.skipLen('a module aux when');
    this.key = Buffer.alloc(0);
    this.moduleName = moduleNameOf(id);
    this.valueFor = FOR_MODULE_AUX;
    this.phase = P_MODULE;
  }

  protected startFunctionStrings(count: number): void {
    this.key = Buffer.alloc(0);
    this.valueFor = FOR_FUNCTION;
    this.left = count;
    this.phase = P_ELEMS;
  }

  /** Redis 7.0 release candidates (FUNCTION_PRE_GA): name, engine, has-description, [description], code. */
  protected functionPreGa(): void {
    this.skipSmall('a function name');
    this.skipSmall('a function engine name');
    const hasDescription = this.len('a function description flag');
    if (hasDescription > 1) this.fail(`a function description flag of ${hasDescription}`);
    this.startFunctionStrings(1 + hasDescription);
  }
}
