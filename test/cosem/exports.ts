export * from '../../modules/nonlegal/cosem/index.js';
export { formatObis } from '../../modules/nonlegal/dlms/obis.js';
export * from '../../modules/nonlegal/cosem/object-table.js';
export * from '../../modules/nonlegal/dlms/link.js';
export * from '../../modules/nonlegal/dlms/hdlc-link.js';
export * from '../../modules/nonlegal/meter/meter-objects.js';
