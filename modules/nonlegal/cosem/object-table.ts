// Object table for documentation (README generation): OBIS, class, version and the access of every
// attribute and method per client role. Not loaded on the meter.
import { formatObis } from '../dlms/obis.js';
import { attributeAccess, methodAccess, type CosemObject } from './objects.js';
import { Role } from './cosem-const.js';

export interface ObjectTableRow {
  obis: string;
  classId: number;
  version: number;
  /** Per attribute id: access for the public and the management client ("-", "r", "w", "rw"). */
  attributes: { id: number; public: string; management: string }[];
  /** Per method id: "x" allowed, "-" not. */
  methods: { id: number; public: string; management: string }[];
}

const A = ['-', 'r', 'w', 'rw'];

export function objectTable(objects: readonly CosemObject[]): ObjectTableRow[] {
  return objects.map((o) => {
    const attributes = [],
      methods = [];
    for (let i = 1; i <= o.attrCount; i++)
      attributes.push({
        id: i,
        public: A[attributeAccess(o.rights, Role.PUBLIC, i)] as string,
        management: A[attributeAccess(o.rights, Role.MANAGEMENT, i)] as string,
      });
    for (let i = 1; i <= o.methodCount; i++)
      methods.push({
        id: i,
        public: methodAccess(o.rights, Role.PUBLIC, i) ? 'x' : '-',
        management: methodAccess(o.rights, Role.MANAGEMENT, i) ? 'x' : '-',
      });
    return { obis: formatObis(o.ln), classId: o.classId, version: o.version, attributes, methods };
  });
}

/** Markdown table: one row per object, attribute/method access as "id:public/management". */
export function objectTableMarkdown(objects: readonly CosemObject[]): string {
  const rows = objectTable(objects).map(
    (r) =>
      `| ${r.obis} | ${r.classId} | ${r.version} | ${r.attributes.map((a) => `${a.id}:${a.public}/${a.management}`).join(' ')} | ${r.methods.map((m) => `${m.id}:${m.public}/${m.management}`).join(' ') || '-'} |`,
  );
  return [
    '| OBIS | class | version | attributes (public/management) | methods (public/management) |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
