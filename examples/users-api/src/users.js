// The seed's handler ("AWS Lambda Example"), unchanged in shape: one function
// behind API Gateway (REST, payload 1.0) that routes on method and path.
const { randomUUID } = require('node:crypto');
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } = require('@aws-sdk/lib-dynamodb');

// No endpoint or credentials here: on Nimbus as on AWS, the runtime provides them.
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TABLE = process.env.USERS_TABLE;

exports.handler = async (event, context) => {
  try {
    const { httpMethod, path, body } = event;

    if (httpMethod === 'GET' && event.pathParameters && event.pathParameters.id) {
      return await getUser(event.pathParameters.id);
    }

    switch (`${httpMethod} ${path}`) {
      case 'POST /users':
        return await createUser(JSON.parse(body || '{}'));
      case 'GET /users':
        return await getUsers();
      default:
        return {
          statusCode: 404,
          body: JSON.stringify({ error: 'Not found' })
        };
    }
  } catch (error) {
    console.error('Error:', error);
    return {
      statusCode: 500,
      body: JSON.stringify({ error: 'Internal server error' })
    };
  }
};

async function createUser(userData) {
  // Validate input
  if (!userData.email || !userData.name) {
    return {
      statusCode: 400,
      body: JSON.stringify({ error: 'Email and name required' })
    };
  }

  // Save to database
  const user = await saveUserToDynamoDB(userData);

  return {
    statusCode: 201,
    body: JSON.stringify(user)
  };
}

async function saveUserToDynamoDB(userData) {
  const user = { id: randomUUID(), email: userData.email, name: userData.name, createdAt: new Date().toISOString() };
  await db.send(new PutCommand({ TableName: TABLE, Item: user, ConditionExpression: 'attribute_not_exists(id)' }));
  return user;
}

async function getUsers() {
  const users = [];
  let ExclusiveStartKey;
  do {
    const page = await db.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey }));
    users.push(...page.Items);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  users.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return { statusCode: 200, body: JSON.stringify(users) };
}

async function getUser(id) {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: { id } }));
  if (!Item) return { statusCode: 404, body: JSON.stringify({ error: 'Not found' }) };
  return { statusCode: 200, body: JSON.stringify(Item) };
}
