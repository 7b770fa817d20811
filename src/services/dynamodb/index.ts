export { DynamoEngine } from './engine';
export { dynamoDbService } from './service';
export { dynamoStreamsService } from './streams-api';
export { dynamoStreamSource } from './stream-source';
export { DynamoMaintenance, type MaintenanceOptions } from './maintenance';
