/** The deployment package checks shared by CreateFunction and UpdateFunctionCode. */
import { invalidParameter } from './errors';

export interface CodeInput {
  ZipFile?: Buffer;
  S3Bucket?: string;
  S3Key?: string;
  S3ObjectVersion?: string;
  ImageUri?: string;
}

/** The zip of a request, or AWS-worded errors (Nimbus takes ZipFile only, for now). */
export function zipOf(code: CodeInput): Buffer {
  if (code.ImageUri !== undefined) {
    throw invalidParameter('Nimbus supports only ZipFile deployment packages for now: container images (ImageUri) are not supported yet.');
  }
  if (code.S3Bucket !== undefined || code.S3Key !== undefined || code.S3ObjectVersion !== undefined) {
    throw invalidParameter('Nimbus supports only ZipFile deployment packages for now: S3Bucket/S3Key code locations are not supported yet.');
  }
  if (code.ZipFile === undefined || code.ZipFile.length === 0) throw invalidParameter('Please provide a source for function code.');
  // Local file header or end-of-central-directory (an empty archive) signature.
  const sig = code.ZipFile.subarray(0, 4).toString('hex');
  if (sig !== '504b0304' && sig !== '504b0506') throw invalidParameter('Could not unzip uploaded file. Please check your file, then try to upload again.');
  return code.ZipFile;
}
