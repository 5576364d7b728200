/** The neutral document the plan is laid out from (document.ts): titled sections of paragraphs, tables and lists. */
export type Tone = 'good' | 'bad' | 'key' | undefined;

export interface DocTable {
  head: string[];
  rows: string[][];
  /** Right-aligned columns (numbers). */
  right?: number[];
  /** Per row: how to colour it (the binding constraint, a what-if that does not hold). */
  tones?: Tone[];
  /** Too wide for a terminal: these first columns stay a table, the others go on indented lines under each row. */
  keep?: number;
}

export type Block = { kind: 'p'; text: string } | { kind: 'h'; text: string } | { kind: 'table'; table: DocTable } | { kind: 'list'; items: string[] };

export interface DocSection {
  title: string;
  blocks: Block[];
}

export interface PlanDocument {
  title: string;
  subtitle: string;
  sections: DocSection[];
}
