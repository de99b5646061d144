// DLMS/COSEM application layer: server (association, services, security), object model,
// the meter's default object list, client, and the HDLC / IP-wrapper links. Pure TypeScript for XS.
export * from './cosem-const.js';
export * from './data.js';
export * from './keywrap.js';
export * from './objects.js';
export * from './profile.js';
export * from './association.js';
export * from './server.js';
export * from './meter-objects.js';
export * from './link.js';
export * from './hdlc-link.js';
export * from './client.js';
