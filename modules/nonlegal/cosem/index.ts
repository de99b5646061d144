// DLMS/COSEM application layer: server (association, services, security), object model, client
// and COSEM date-time. The links (HDLC, IP wrapper) are in dlms/, the meter's object list in
// meter/. Pure TypeScript for XS.
export * from './cosem-const.js';
export * from './data.js';
export * from './keywrap.js';
export * from './objects.js';
export * from './profile.js';
export * from './association.js';
export * from './server.js';
export * from './client.js';
export * from './clock.js';
export * from './image-transfer.js';
export * from './image-client.js';
