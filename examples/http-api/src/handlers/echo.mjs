// An ES module handler: echoes the JSON body it receives.
export const handler = async (event) => {
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body ?? '';
  let parsed;
  try {
    parsed = JSON.parse(text || 'null');
  } catch {
    return { statusCode: 400, body: JSON.stringify({ error: 'body must be JSON' }) };
  }
  return { statusCode: 200, body: JSON.stringify({ received: parsed }) };
};
