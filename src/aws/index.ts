/**
 * The shared AWS wire layer: protocols, SigV4, errors and dispatch. Services
 * (src/services/<name>/) declare their operations with these types; the
 * composition root builds one `AwsEndpoint` over them.
 */
export { AwsEndpoint, attachAwsEndpoint, awsEndpointOf, handleAwsRequest, type AwsEndpointOptions } from './endpoint';
export { Credentials, type CredentialsOptions, type IssuedCredentials, type IssuablePrincipal } from './credentials';
export { ServiceError, isServiceError, validationError, serializationError, CORAL_SERVICE, CORAL_VALIDATE, type Fault, type ServiceErrorOptions } from './errors';
export { coralAuthErrors, queryAuthErrors, s3AuthErrors } from './auth-errors';
export {
  defineOperation,
  type AuthErrors,
  type CorsHook,
  type FormSignature,
  type HttpBinding,
  type InputOf,
  type Operation,
  type OperationContext,
  type OperationSpec,
  type OperationTable,
  type Principal,
  type Protocol,
  type ServiceDefinition,
} from './types';
export * from './shapes';
export { RawJson, isRawJson } from './raw-json';
export { wireRequest, type WireRequest, type WireResponse } from './wire';
export { CHECKSUM_ALGORITHMS, type BlobOutput, type ChecksumAlgorithm, type PayloadDigest, type PayloadStream } from './stream';
export { PayloadAbortedError } from './stream';
export { checksumOf, createChecksum, type IncrementalChecksum } from './checksums';
