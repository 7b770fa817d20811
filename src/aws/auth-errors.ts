/**
 * How each family of AWS services words its authentication failures. A service
 * picks one (or builds its own) for `ServiceDefinition.authErrors`.
 *
 * Sources: dynalite's notes of DynamoDB's answers (architect/dynalite index.js:
 * codes, order of checks, `Signature expired: ... (... - 15 min.)`), AWS's
 * "Common Errors" pages (query services' codes and statuses), Amazon S3's error
 * code list (`SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`,
 * `XAmzContentSHA256Mismatch`, ...).
 */
import { CORAL_SERVICE, ServiceError } from './errors';
import type { AuthErrors } from './types';

const MISMATCH_CORAL =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED_TOKEN = 'The security token included in the request is expired';

/**
 * Coral services speaking JSON or REST-JSON (DynamoDB, Lambda, Kinesis, ...).
 * DynamoDB answers these with 400 and "Request is missing Authentication
 * Token"; Lambda with 403 and "Missing Authentication Token".
 */
export function coralAuthErrors(o: { status: number; missingMessage: string; detailedMismatch?: boolean }): AuthErrors {
  const e = (code: string, message: string): ServiceError => new ServiceError(code, o.status, message, { namespace: CORAL_SERVICE });
  return {
    missing: () => e('MissingAuthenticationTokenException', o.missingMessage),
    incomplete: (m) => e('IncompleteSignatureException', m),
    invalidSignature: (m) => e('InvalidSignatureException', m),
    unknownKey: () => e('UnrecognizedClientException', INVALID_TOKEN),
    signatureMismatch: (d) =>
      e(
        'InvalidSignatureException',
        o.detailedMismatch
          ? `${MISMATCH_CORAL}\n\nThe Canonical String for this request should have been\n'${d.canonicalRequest}'\n\nThe String-to-Sign should have been\n'${d.stringToSign}'\n`
          : MISMATCH_CORAL,
      ),
    expired: (m) => e('InvalidSignatureException', m),
    invalidToken: () => e('UnrecognizedClientException', INVALID_TOKEN),
    expiredToken: () => e('ExpiredTokenException', EXPIRED_TOKEN),
    contentMismatch: (m) => e('InvalidSignatureException', m),
  };
}

/** Query-protocol services (SQS, SNS, STS, IAM): AWS's "Common Errors". */
export function queryAuthErrors(): AuthErrors {
  const e = (code: string, status: number, message: string): ServiceError => new ServiceError(code, status, message);
  return {
    missing: () => e('MissingAuthenticationToken', 403, 'Request is missing Authentication Token'),
    incomplete: (m) => e('IncompleteSignature', 400, m),
    invalidSignature: (m) => e('SignatureDoesNotMatch', 403, m),
    unknownKey: () => e('InvalidClientTokenId', 403, INVALID_TOKEN),
    signatureMismatch: () => e('SignatureDoesNotMatch', 403, MISMATCH_CORAL),
    expired: (m, d) => (d.presigned ? e('RequestExpired', 400, 'Request has expired.') : e('SignatureDoesNotMatch', 403, m)),
    invalidToken: () => e('InvalidClientTokenId', 403, INVALID_TOKEN),
    expiredToken: () => e('ExpiredToken', 403, EXPIRED_TOKEN),
    contentMismatch: (m) => e('SignatureDoesNotMatch', 403, m),
  };
}

/** Amazon S3 (restXml, `<Error>` documents with extra detail elements). */
export function s3AuthErrors(): AuthErrors {
  const e = (code: string, status: number, message: string, fields: Record<string, string | number> = {}): ServiceError =>
    new ServiceError(code, status, message, { fields, messageKey: 'Message' });
  return {
    missing: () => e('AccessDenied', 403, 'Access Denied'),
    incomplete: (m, presigned) => (presigned ? e('AuthorizationQueryParametersError', 400, m) : e('AuthorizationHeaderMalformed', 400, `The authorization header is malformed; ${m}`)),
    invalidSignature: (m) => e('AuthorizationHeaderMalformed', 400, `The authorization header is malformed; ${m}`),
    unknownKey: (id) => e('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: id }),
    signatureMismatch: (d) =>
      e('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
        AWSAccessKeyId: d.accessKeyId,
        StringToSign: d.stringToSign,
        SignatureProvided: d.signatureProvided,
        StringToSignBytes: hexBytes(d.stringToSign),
        CanonicalRequest: d.canonicalRequest,
        CanonicalRequestBytes: hexBytes(d.canonicalRequest),
      }),
    expired: (_m, d) =>
      d.presigned
        ? e('AccessDenied', 403, 'Request has expired', { 'X-Amz-Expires': d.expires ?? '', Expires: d.requestTime, ServerTime: d.serverTime })
        : e('RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.', {
            RequestTime: d.requestTime,
            ServerTime: d.serverTime,
            MaxAllowedSkewMilliseconds: 900000,
          }),
    invalidToken: () => e('InvalidToken', 400, 'The provided token is malformed or otherwise invalid.'),
    expiredToken: () => e('ExpiredToken', 400, 'The provided token has expired.'),
    contentMismatch: (m, d) =>
      d.invalidValue
        ? e('InvalidArgument', 400, m)
        : d.computed !== undefined
          ? e('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.", {
              ClientComputedContentSHA256: d.provided ?? '',
              S3ComputedContentSHA256: d.computed,
            })
          : e('IncompleteBody', 400, m),
  };
}

function hexBytes(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
