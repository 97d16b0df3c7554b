/**
 * A restricted unpickler: exactly the opcodes `torch.save` writes for a state dict (protocols 2
 * to 4), and no way to call anything but the few functions the caller allows by name.
 *
 * Written here, not taken from a package: a pickle is a program, and a general unpickler (such as
 * `pickleparser`) builds whatever class the file names. A checkpoint from the web must not get
 * that far: an opcode outside the list below, or a global outside `globals`, is refused with its
 * name before anything is built. The machine has no jumps or loops, so reading is one pass over
 * the bytes (linear time, no recursion). Pure: no DOM, no Node.
 */
import { CheckpointError } from './tensor';
import { decodeUtf8 } from './text';

/** A function the pickle may call (REDUCE), or a value it may name (GLOBAL), allowed by name. */
export class PickleGlobal {
  constructor(
    /** `module.name`, as the error messages show it. */
    readonly qualifiedName: string,
    /** What REDUCE returns; absent for globals that may only be passed around (storage types). */
    readonly call?: (args: unknown[]) => unknown,
  ) {}
}

export interface UnpickleOptions {
  /** `module.name` → the global; any other name is refused. */
  globals: ReadonlyMap<string, PickleGlobal>;
  /** BINPERSID: turns a persistent id (torch: a storage tuple) into a value. */
  persistentLoad(pid: unknown): unknown;
}

/** A dict or OrderedDict; BUILD on one (an OrderedDict's attributes) is accepted and ignored. */
export type PickleDict = Map<unknown, unknown>;

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const isDict = (value: unknown): value is PickleDict => value instanceof Map;
const isKey = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);

export function unpickle(bytes: Uint8Array, fileName: string, options: UnpickleOptions): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let opcodeAt = 0;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const fail = (problem: string): never => {
    throw new CheckpointError(`${fileName}: pickle byte ${opcodeAt}: ${problem}`);
  };
  const need = (count: number) => {
    if (pos + count > bytes.byteLength)
      fail('the pickle ends in the middle of an instruction (file cut off?)');
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const pop = (): unknown => (stack.length === 0 ? fail('pops an empty stack') : stack.pop());
  const top = (): unknown => (stack.length === 0 ? fail('reads an empty stack') : stack[stack.length - 1]);
  const popMark = (): unknown[] => {
    const items = stack;
    stack = marks.pop() ?? fail('closes a MARK that was never opened');
    return items;
  };
  const utf8 = (length: number) => {
    need(length);
    try {
      return decodeUtf8(bytes.subarray(pos, (pos += length)));
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 256) fail('a GLOBAL name is not terminated');
    return utf8(end - pos + 1).slice(0, -1);
  };
  const global = (module: string, name: string) => {
    const qualified = `${module}.${name}`;
    return options.globals.get(qualified) ?? fail(`refuses global ${qualified}: a state dict never needs it`);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    const dict = isDict(target) ? target : fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      if (!isKey(items[i])) fail('a dict key is not a string or number');
      dict.set(items[i], items[i + 1]);
    }
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    const list = Array.isArray(target) ? target : fail('APPEND(S) on something that is not a list');
    list.push(...items);
  };

  for (;;) {
    opcodeAt = pos;
    const opcode = u8();
    switch (opcode) {
      case 0x80: // PROTO
        if (u8() > 5) fail('pickle protocol above 5');
        break;
      case 0x95: // FRAME: a length hint only
        need(8);
        pos += 8;
        break;
      case 0x2e: // STOP
        if (marks.length > 0) fail('STOP inside an open MARK');
        return pop();
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement; state dicts only hold small ones
        const length = u8();
        if (length > 6) fail(`LONG1 of ${length} bytes is larger than any size or offset`);
        need(length);
        let value = 0;
        for (let i = length - 1; i >= 0; i--) value = value * 256 + bytes[pos + i]!;
        if (length > 0 && bytes[pos + length - 1]! & 0x80) value -= 2 ** (8 * length);
        pos += length;
        stack.push(value);
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(u8()));
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const second = pop();
        stack.push([pop(), second]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const third = pop();
        const second = pop();
        stack.push([pop(), second, third]);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: {
        // LIST (popMark replaces `stack`, so it must run before the push)
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x64: {
        // DICT
        const dict = new Map();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = opcode === 0x68 ? u8() : u32();
        if (!memo.has(index)) fail(`reads memo entry ${index}, which was never stored`);
        stack.push(memo.get(index));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PickleGlobal) || !callable.call) {
          fail(
            `REDUCE calls ${callable instanceof PickleGlobal ? callable.qualifiedName : 'something that is not a global'}, which is not allowed`,
          );
        }
        if (!Array.isArray(args)) fail('REDUCE without an argument tuple');
        try {
          stack.push((callable as PickleGlobal).call!(args as unknown[]));
        } catch (error) {
          if (error instanceof CheckpointError) throw error;
          fail(`${(callable as PickleGlobal).qualifiedName}: ${(error as Error).message}`);
        }
        break;
      }
      case 0x62: // BUILD: only an OrderedDict's attributes (a state dict's _metadata), ignored
        pop();
        if (!isDict(top())) fail('BUILD on something other than a dict');
        break;
      case 0x51: {
        // BINPERSID
        const pid = pop();
        try {
          stack.push(options.persistentLoad(pid));
        } catch (error) {
          if (error instanceof CheckpointError) throw error;
          fail(`persistent id: ${(error as Error).message}`);
        }
        break;
      }
      default:
        fail(
          `opcode ${OPCODE_NAMES[opcode] ?? `0x${opcode.toString(16).padStart(2, '0')}`} is not allowed in a checkpoint`,
        );
    }
  }
}
