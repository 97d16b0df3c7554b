/**
 * Writes the few ONNX protobuf messages a graph built in memory needs (ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto), field numbers from onnx/onnx.proto3.
 * Hand-written, not `onnx-proto` on protobufjs: these are a dozen fields, the graphs are tens of
 * kB (weights stay outside, as external data), and the worker bundle stays small.
 * Pure: no DOM, no Node.
 */
import { encodeUtf8 } from './text';

/** Growable byte buffer with protobuf's encodings. */
class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch = new DataView(new ArrayBuffer(8));

  private push(bytes: Uint8Array) {
    this.chunks.push(bytes);
  }

  private varint(value: number | bigint) {
    let rest = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(rest & 0x7fn);
      rest >>= 7n;
      if (rest !== 0n) byte |= 0x80;
      out.push(byte);
    } while (rest !== 0n);
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wireType: number) {
    this.varint(field * 8 + wireType);
  }

  int(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    this.scratch.setFloat32(0, value, true);
    this.push(new Uint8Array(this.scratch.buffer.slice(0, 4)));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(value.byteLength);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encodeUtf8(value));
  }

  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const length = this.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const out = new Uint8Array(length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}

export const FLOAT = 1;
export const INT8 = 3;
export const INT64 = 7;
export type ElementType = typeof FLOAT | typeof INT8 | typeof INT64;

export type AttributeValue = number | number[] | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
  /** Operator set domain; absent for the default (ai.onnx). */
  domain?: string;
}

export interface OnnxInitializer {
  name: string;
  type: ElementType;
  dims: number[];
  /** Inline little-endian bytes, or a range of an external data file. */
  data: Uint8Array | { location: string; offset: number; length: number };
}

export interface OnnxValue {
  name: string;
  type: ElementType;
  /** A number, or a name for a dynamic axis. */
  dims: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  opset: number;
}

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue) {
  w.string(1, name);
  if (typeof value === 'number')
    w.int(3, value).int(20, 2); // i, INT
  else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v); // ints
    w.int(20, 7); // INTS
  } else w.float(2, value.float).int(20, 1); // f, FLOAT
}

function writeValue(w: ProtoWriter, value: OnnxValue) {
  w.string(1, value.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, value.type).message(2, (shape) => {
        for (const dim of value.dims) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      }),
    ),
  );
}

function writeInitializer(w: ProtoWriter, init: OnnxInitializer) {
  for (const dim of init.dims) w.int(1, dim);
  w.int(2, init.type).string(8, init.name);
  if (init.data instanceof Uint8Array) {
    w.bytes(9, init.data);
    return;
  }
  const { location, offset, length } = init.data;
  for (const [key, value] of [
    ['location', location],
    ['offset', String(offset)],
    ['length', String(length)],
  ]) {
    w.message(13, (entry) => entry.string(1, key!).string(2, value!));
  }
  w.int(14, 1); // data_location = EXTERNAL
}

/** The serialised ModelProto (IR version 8). */
export function writeOnnxModel(graph: OnnxGraph): Uint8Array {
  const model = new ProtoWriter()
    .int(1, 8)
    .string(2, 'mae-lens')
    .message(7, (g) => {
      graph.nodes.forEach((node, index) =>
        g.message(1, (n) => {
          for (const input of node.inputs) n.string(1, input);
          for (const output of node.outputs) n.string(2, output);
          n.string(3, `${node.op}_${index}`).string(4, node.op);
          for (const [name, value] of Object.entries(node.attributes ?? {})) {
            n.message(5, (a) => writeAttribute(a, name, value));
          }
          if (node.domain) n.string(7, node.domain);
        }),
      );
      g.string(2, graph.name);
      for (const init of graph.initializers) g.message(5, (t) => writeInitializer(t, init));
      for (const input of graph.inputs) g.message(11, (v) => writeValue(v, input));
      for (const output of graph.outputs) g.message(12, (v) => writeValue(v, output));
    })
    .message(8, (opset) => opset.string(1, '').int(2, graph.opset));
  for (const domain of new Set(graph.nodes.flatMap((node) => (node.domain ? [node.domain] : [])))) {
    model.message(8, (opset) => opset.string(1, domain).int(2, 1));
  }
  return model.finish();
}
