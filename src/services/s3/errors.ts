/**
 * S3's errors as S3 words them (the "List of error codes" of the S3 API
 * reference). They go out as `<Error><Code/><Message/>...<RequestId/></Error>`
 * with the extra members S3 sends (BucketName, Key, Condition...).
 */
import { ServiceError } from '../../aws';

function s3(code: string, status: number, message: string, fields: Record<string, string | number> = {}): ServiceError {
  return new ServiceError(code, status, message, { fields, messageKey: 'Message' });
}

export const noSuchBucket = (bucket: string) => s3('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket });
export const noSuchKey = (key: string) => s3('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
export const bucketAlreadyOwnedByYou = (bucket: string) =>
  s3('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: bucket });
export const bucketNotEmpty = (bucket: string) => s3('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: bucket });
export const invalidBucketName = (bucket: string) => s3('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket });
export const keyTooLong = (size: number) => s3('KeyTooLongError', 400, 'Your key is too long', { Size: size, MaxSizeAllowed: 1024 });
export const invalidRange = (range: string, size: number) =>
  s3('InvalidRange', 416, 'The requested range is not satisfiable', { RangeRequested: range, ActualObjectSize: size });
export const preconditionFailed = (condition: string) => s3('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: condition });
export const malformedXml = () => s3('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
export const invalidArgument = (message: string, name?: string, value?: string) =>
  s3('InvalidArgument', 400, message, name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' });
export const invalidRequest = (message: string) => s3('InvalidRequest', 400, message);
export const noSuchUpload = (uploadId: string) =>
  s3('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
export const entityTooSmall = (size: number) =>
  s3('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: size, MinSizeAllowed: 5 * 1024 * 1024 });
export const entityTooLarge = (size: number, max: number) => s3('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: size, MaxSizeAllowed: max });
export const invalidPart = (partNumber: number, etag: string) =>
  s3(
    'InvalidPart',
    400,
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
    { PartNumber: partNumber, ETag: etag },
  );
export const invalidPartOrder = () => s3('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.');
export const noSuchCorsConfiguration = (bucket: string) => s3('NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist', { BucketName: bucket });
export const notImplemented = (message: string) => s3('NotImplemented', 501, message);
export const internalError = () => new ServiceError('InternalError', 500, 'We encountered an internal error. Please try again.', { messageKey: 'Message', fault: 'server' });
export const accessDenied = (message = 'Access Denied') => s3('AccessDenied', 403, message);
export const noSuchTagSet = (bucket: string) => s3('NoSuchTagSet', 404, 'The TagSet does not exist', { BucketName: bucket });
