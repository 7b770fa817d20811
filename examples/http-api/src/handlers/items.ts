import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';

interface Item {
  id: string;
  name: string;
  price: number;
}

const catalog: Record<string, Item> = {
  '1': { id: '1', name: 'Teapot', price: 18 },
  '2': { id: '2', name: 'Kettle', price: 42 },
};

export const get = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  const item = catalog[event.pathParameters?.id ?? ''];
  if (!item) return { statusCode: 404, body: JSON.stringify({ error: 'Not found' }) };
  // A plain object: HTTP API's 2.0 format turns it into a 200 JSON response.
  return item as unknown as APIGatewayProxyResultV2;
};
