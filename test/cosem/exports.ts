export * from '../../modules/nonlegal/cosem/index.js';
export { formatObis } from '../../modules/nonlegal/dlms/obis.js';
export * from '../../modules/nonlegal/cosem/object-table.js';
