/**
 * The errors Amazon S3 answers for a request body that fails verification.
 * Codes and wording from Amazon S3's error code list ("Error responses",
 * API reference) and captured S3 answers: BadDigest for Content-MD5 carries
 * `ExpectedDigest` (the header, hex) and `CalculatedDigest` (base64);
 * flexible-checksum failures are `BadDigest` "The CRC32 you specified did
 * not match the calculated checksum." and `InvalidRequest` for malformed or
 * conflicting checksum headers (messages as S3 words them; versitygw's
 * s3err table records the same strings); `InvalidChunkSizeError` carries
 * `Chunk` and `BadChunkSize`.
 */
import { ServiceError } from './errors';
import type { ChecksumAlgorithm } from './stream';

function s3(code: string, message: string, fields: Record<string, string | number> = {}): ServiceError {
  return new ServiceError(code, 400, message, { fields, messageKey: 'Message' });
}

export const payloadErrors = {
  incompleteBody: (): ServiceError => s3('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.'),
  invalidChunkSize: (chunk: number, size: number): ServiceError =>
    s3('InvalidChunkSizeError', 'Only the last chunk is allowed to have a size less than 8192 bytes', { Chunk: chunk, BadChunkSize: size }),
  malformedTrailer: (): ServiceError =>
    s3('MalformedTrailerError', 'The request contained trailing data that was not well-formed or did not conform to our published schema.'),
  invalidDigest: (given: string): ServiceError => s3('InvalidDigest', 'The Content-MD5 you specified is not valid.', { 'Content-MD5': given }),
  badContentMd5: (expectedHex: string, calculatedBase64: string): ServiceError =>
    s3('BadDigest', 'The Content-MD5 you specified did not match what we received.', { ExpectedDigest: expectedHex, CalculatedDigest: calculatedBase64 }),
  badChecksum: (alg: ChecksumAlgorithm): ServiceError => s3('BadDigest', `The ${alg} you specified did not match the calculated checksum.`),
  invalidChecksumHeader: (header: string): ServiceError => s3('InvalidRequest', `Value for ${header} header is invalid.`),
  invalidChecksumTrailer: (header: string): ServiceError => s3('InvalidRequest', `Value for ${header} trailing header is invalid.`),
  multipleChecksums: (): ServiceError => s3('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.'),
  unknownChecksumHeader: (): ServiceError => s3('InvalidRequest', 'The algorithm type you specified in x-amz-checksum- header is invalid.'),
  unsupportedTrailer: (): ServiceError => s3('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported'),
  unsupportedAlgorithm: (): ServiceError =>
    s3('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]'),
};
