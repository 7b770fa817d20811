// The seed's handler, unchanged ("AWS Lambda processing S3 file uploads").
// AWS Lambda processing S3 file uploads
const AWS = require('aws-sdk');
const s3 = new AWS.S3();
const sharp = require('sharp');

exports.processImage = async (event) => {
  const bucket = event.Records[0].s3.bucket.name;
  const key = decodeURIComponent(event.Records[0].s3.object.key);

  try {
    // Get original image
    const originalImage = await s3.getObject({
      Bucket: bucket,
      Key: key
    }).promise();

    // Resize image
    const resizedImage = await sharp(originalImage.Body)
      .resize(800, 600, { fit: 'inside' })
      .jpeg({ quality: 80 })
      .toBuffer();

    // Save resized image
    const newKey = `resized/${key}`;
    await s3.putObject({
      Bucket: bucket,
      Key: newKey,
      Body: resizedImage,
      ContentType: 'image/jpeg'
    }).promise();

    console.log(`Processed image: ${key} -> ${newKey}`);
  } catch (error) {
    console.error('Error processing image:', error);
    throw error;
  }
};
