/**
 * Smithy-style shapes: the data that describes an operation's input and output
 * (types, where each member travels on the wire, and the constraints AWS
 * validates). The protocol codecs read these; the TypeScript types of an
 * operation's input and output are derived from them (`TypeOf`), so a handler
 * and its wire description cannot drift apart.
 *
 * Member locations follow Smithy's HTTP binding traits: httpLabel, httpQuery,
 * httpHeader, httpPrefixHeaders, httpPayload, httpResponseCode; a member with
 * no location is part of the document body (JSON object / XML element / query
 * parameters).
 */

import type { RawJson } from './raw-json';
import type { BlobOutput, PayloadStream } from './stream';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/*
 * Each shape carries the TypeScript type it describes in a phantom `__type`
 * member, computed once by its builder; `TypeOf` only looks it up. (A
 * recursive conditional type over nested shapes hits the compiler's depth
 * limit on real operation shapes.)
 */
interface Typed<T> {
  readonly __type?: T;
}

export interface StringShape<T extends string = string> extends Typed<T> {
  readonly kind: 'string';
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly T[];
}
export interface NumberShape extends Typed<number> {
  readonly kind: 'integer' | 'long' | 'double';
  readonly min?: number;
  readonly max?: number;
}
export interface BooleanShape extends Typed<boolean> {
  readonly kind: 'boolean';
}
export interface BlobShape extends Typed<Buffer> {
  readonly kind: 'blob';
  readonly min?: number;
  readonly max?: number;
}
/** Timestamps: `epoch-seconds` (JSON default), `date-time` (XML and query default), `http-date` (headers default). */
export type TimestampFormat = 'epoch-seconds' | 'date-time' | 'http-date';
export interface TimestampShape extends Typed<Date> {
  readonly kind: 'timestamp';
  readonly format?: TimestampFormat;
}
export interface ListShape<M extends Shape = Shape, T = unknown> extends Typed<T> {
  readonly kind: 'list';
  readonly member: M;
  readonly min?: number;
  readonly max?: number;
  /** XML / query: the element name of each entry (default `member`). */
  readonly memberName?: string;
  readonly flattened?: boolean;
}
export interface MapShape<V extends Shape = Shape, T = unknown> extends Typed<T> {
  readonly kind: 'map';
  readonly value: V;
  readonly min?: number;
  readonly max?: number;
  readonly flattened?: boolean;
}
export interface StructureShape<M extends Members = Members, T = unknown, O = T> extends Typed<T> {
  readonly kind: 'structure';
  readonly members: M;
  /** Phantom: what a handler may return for this structure as an operation's output (`OutputOf`). */
  readonly __output?: O;
}
export interface DocumentShape extends Typed<JsonValue> {
  readonly kind: 'document';
}

export type Shape = StringShape | NumberShape | BooleanShape | BlobShape | TimestampShape | ListShape | MapShape | StructureShape | DocumentShape;

export type Location = 'label' | 'query' | 'header' | 'prefixHeaders' | 'payload' | 'responseCode' | 'body';

export interface Member<S extends Shape = Shape, R extends boolean = boolean> {
  readonly shape: S;
  readonly required: R;
  readonly location: Location;
  /** Wire name: the header / query key / label name, or jsonName / xmlName in a body. Defaults to the member name. */
  readonly name?: string;
  /** httpLabel with `{Name+}` (S3 keys): slashes are part of the value. */
  readonly greedy?: boolean;
  readonly xmlAttribute?: boolean;
}

export type Members = { readonly [name: string]: Member };

type StructType<M extends Members> = Simplify<
  {
    -readonly [K in keyof M as M[K]['required'] extends true ? K : never]: TypeOf<M[K]['shape']>;
  } & {
    -readonly [K in keyof M as M[K]['required'] extends true ? never : K]?: TypeOf<M[K]['shape']>;
  }
>;

/**
 * As an operation's output, a top-level `document()` member may also be
 * pre-serialized JSON (`RawJson`), which the JSON protocols splice as is.
 */
type OutputStructType<M extends Members> = Simplify<
  {
    -readonly [K in keyof M as M[K]['required'] extends true ? K : never]: OutputMemberOf<M[K]>;
  } & {
    -readonly [K in keyof M as M[K]['required'] extends true ? never : K]?: OutputMemberOf<M[K]>;
  }
>;
type OutputMemberType<S> = S extends DocumentShape ? JsonValue | RawJson : TypeOf<S>;
/** A blob payload may also be returned as a stream (S3 GetObject), which the endpoint pipes to the socket. */
type OutputMemberOf<Mem> = Mem extends PayloadMember<BlobShape> ? BlobOutput : Mem extends Member ? OutputMemberType<Mem['shape']> : never;

/**
 * The input a handler of a `streamingInput` operation gets: its blob payload
 * member is a `PayloadStream` (always present, empty for an empty body).
 */
export type StreamingInputOf<S> =
  S extends StructureShape<infer M>
    ? Simplify<Omit<TypeOf<S>, PayloadBlobKeys<M>> & { -readonly [K in PayloadBlobKeys<M>]: PayloadStream }>
    : never;
type PayloadBlobKeys<M> = { [K in keyof M]: M[K] extends PayloadMember<BlobShape> ? K : never }[keyof M];

/** The TypeScript type a shape describes. */
export type TypeOf<S> = S extends Typed<infer T> ? Exclude<T, undefined> : never;

/** What a handler returns for an output structure: its TypeOf, with RawJson allowed for its document members. */
export type OutputOf<S> = S extends { readonly __output?: infer O } ? Exclude<O, undefined> : TypeOf<S>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

// ---- shape builders -------------------------------------------------------

export function str(c: Omit<StringShape, 'kind' | 'enum'> = {}): StringShape {
  return { kind: 'string', ...c };
}
export function strEnum<const T extends string>(values: readonly T[]): StringShape<T> {
  return { kind: 'string', enum: values };
}
export function int(c: Omit<NumberShape, 'kind'> = {}): NumberShape {
  return { kind: 'integer', ...c };
}
export function long(c: Omit<NumberShape, 'kind'> = {}): NumberShape {
  return { kind: 'long', ...c };
}
export function double(c: Omit<NumberShape, 'kind'> = {}): NumberShape {
  return { kind: 'double', ...c };
}
export function bool(): BooleanShape {
  return { kind: 'boolean' };
}
export function blob(c: Omit<BlobShape, 'kind'> = {}): BlobShape {
  return { kind: 'blob', ...c };
}
export function timestamp(format?: TimestampFormat): TimestampShape {
  return format ? { kind: 'timestamp', format } : { kind: 'timestamp' };
}
export function list<M extends Shape>(member: M, c: Omit<ListShape<M>, 'kind' | 'member' | '__type'> = {}): ListShape<M, TypeOf<M>[]> {
  return { kind: 'list', member, ...c };
}
export function map<V extends Shape>(value: V, c: Omit<MapShape<V>, 'kind' | 'value' | '__type'> = {}): MapShape<V, Record<string, TypeOf<V>>> {
  return { kind: 'map', value, ...c };
}
export function struct<const M extends Members>(members: M): StructureShape<M, StructType<M>, OutputStructType<M>> {
  return { kind: 'structure', members };
}
export function document(): DocumentShape {
  return { kind: 'document' };
}

// ---- member builders ------------------------------------------------------

interface MemberOpts {
  /** jsonName / xmlName. */
  name?: string;
  xmlAttribute?: boolean;
}

/** A body member (JSON property, XML element, query parameter). */
export function member<S extends Shape>(shape: S, opts: MemberOpts = {}): Member<S, false> {
  return { shape, required: false, location: 'body', ...opts };
}
/** A required body member. */
export function required<S extends Shape>(shape: S, opts: MemberOpts = {}): Member<S, true> {
  return { shape, required: true, location: 'body', ...opts };
}
/** httpLabel: always required. `greedy` for `{Name+}`. */
export function label<S extends Shape>(shape: S, opts: { name?: string; greedy?: boolean } = {}): Member<S, true> {
  return { shape, required: true, location: 'label', ...opts };
}
export function query<S extends Shape>(name: string, shape: S): Member<S, false> {
  return { shape, required: false, location: 'query', name };
}
export function header<S extends Shape>(name: string, shape: S): Member<S, false> {
  return { shape, required: false, location: 'header', name };
}
export function prefixHeaders<V extends StringShape>(prefix: string, value: V): Member<MapShape<V, Record<string, TypeOf<V>>>, false> {
  return { shape: map(value), required: false, location: 'prefixHeaders', name: prefix };
}
/** An httpPayload member (the typing of streaming blobs keys on its literal location). */
export interface PayloadMember<S extends Shape = Shape> extends Member<S, false> {
  readonly location: 'payload';
}
export function payload<S extends Shape>(shape: S): PayloadMember<S> {
  return { shape, required: false, location: 'payload' };
}
export function responseCode(): Member<NumberShape, false> {
  return { shape: int(), required: false, location: 'responseCode' };
}

export function wireName(name: string, m: Member): string {
  return m.name ?? name;
}
