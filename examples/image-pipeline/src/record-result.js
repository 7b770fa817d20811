// Save Results (DynamoDB): one item per resized image, with its size and dimensions.
const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, PutCommand } = require('@aws-sdk/lib-dynamodb');
const sharp = require('sharp');

const s3 = new S3Client({});
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

exports.handler = async (event) => {
  for (const record of event.Records) {
    const bucket = record.s3.bucket.name;
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const { width, height } = await sharp(Buffer.from(await object.Body.transformToByteArray())).metadata();
    await db.send(
      new PutCommand({
        TableName: process.env.RESULTS_TABLE,
        Item: { key, bucket, size: record.s3.object.size, width, height, processedAt: new Date().toISOString() },
      }),
    );
    console.log(`Recorded ${key}: ${width}x${height}, ${record.s3.object.size} bytes`);
  }
};
