/**
 * Just enough of ONNX's protobuf encoding (onnx.proto, IR version 8) to write a model that ONNX
 * Runtime loads: a graph of nodes with float/int attributes, initializers as raw little-endian bytes,
 * and typed inputs and outputs. The built-in model's graph is written with it at load time
 * (./use-lite-graph.ts), so no converted model file and no protobuf library are needed.
 */

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;
type DataTypeValue = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values used here. */
const AttributeType = { FLOAT: 1, INT: 2, INTS: 7 } as const;

/**
 * A protobuf message being written: fields appended in any order, as a list of chunks (the weights
 * are views of the files read, never copied), joined into bytes once, by the outermost message.
 */
class Message {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  private varint(value: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (n >= 0x80n) {
      out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    out.push(Number(n));
    return this.push(Uint8Array.from(out));
  }

  private key(field: number, wireType: 0 | 2 | 5): this {
    return this.varint((field << 3) | wireType);
  }

  int(field: number, value: number): this {
    return this.key(field, 0).varint(value);
  }

  float(field: number, value: number): this {
    return this.key(field, 5).push(new Uint8Array(Float32Array.of(value).buffer));
  }

  bytes(field: number, value: Uint8Array): this {
    return this.key(field, 2).varint(value.length).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A nested message: its chunks are taken over, not copied (a graph carries ~28 MB of weights). */
  message(field: number, value: Message): this {
    this.key(field, 2).varint(value.length);
    for (const chunk of value.chunks) this.push(chunk);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

export type Attribute = { name: string } & ({ float: number } | { int: number } | { ints: readonly number[] });

export interface Node {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly Attribute[];
}

export interface Initializer {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: its element type and shape, a string naming a dimension that varies. */
export interface ValueInfo {
  name: string;
  type: DataTypeValue;
  shape: readonly (number | string)[];
}

function attribute(a: Attribute): Message {
  const m = new Message().string(1, a.name);
  if ('float' in a) return m.float(2, a.float).int(20, AttributeType.FLOAT);
  if ('int' in a) return m.int(3, a.int).int(20, AttributeType.INT);
  for (const i of a.ints) m.int(8, i);
  return m.int(20, AttributeType.INTS);
}

function node(n: Node): Message {
  const m = new Message();
  for (const input of n.inputs) m.string(1, input);
  for (const output of n.outputs) m.string(2, output);
  m.string(4, n.op);
  for (const a of n.attributes ?? []) m.message(5, attribute(a));
  return m;
}

function initializer(t: Initializer): Message {
  const m = new Message();
  for (const d of t.dims) m.int(1, d);
  m.int(2, t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64);
  m.string(8, t.name);
  // Raw data is little-endian, as typed arrays are on every platform Node.js runs on here.
  return m.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function valueInfo(v: ValueInfo): Message {
  const shape = new Message();
  for (const d of v.shape) shape.message(1, typeof d === 'string' ? new Message().string(2, d) : new Message().int(1, d));
  const tensorType = new Message().int(1, v.type).message(2, shape);
  return new Message().string(1, v.name).message(2, new Message().message(1, tensorType));
}

/** A ModelProto of one graph, for the default operator set of version `opset`. */
export function encodeModel(graph: { nodes: readonly Node[]; initializers: readonly Initializer[]; inputs: readonly ValueInfo[]; outputs: readonly ValueInfo[] }, opset: number): Uint8Array {
  const g = new Message();
  for (const n of graph.nodes) g.message(1, node(n));
  g.string(2, 'main');
  for (const t of graph.initializers) g.message(5, initializer(t));
  for (const i of graph.inputs) g.message(11, valueInfo(i));
  for (const o of graph.outputs) g.message(12, valueInfo(o));
  return new Message()
    .int(1, 8)
    .string(2, 'stellar-memory-api')
    .message(7, g)
    .message(8, new Message().string(1, '').int(2, opset))
    .finish();
}
