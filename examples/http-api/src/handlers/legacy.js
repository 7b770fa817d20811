'use strict';

// A callback-style handler behind a REST API (`http` event, payload 1.0).
exports.handler = (event, context, callback) => {
  callback(null, {
    statusCode: 200,
    headers: { 'Access-Control-Allow-Origin': '*', 'content-type': 'application/json' },
    body: JSON.stringify({ method: event.httpMethod, path: event.path, proxy: event.pathParameters.proxy }),
  });
};
