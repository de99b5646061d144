// LCD model: the meter's segment display as lines of text. LCD print writes a line; the text is
// readable with `LCD SHOW` and is traced at INFO level when it changes.

export const LCD_LINES = 2;
export const LCD_WIDTH = 16;

export class Lcd {
  private lines: string[] = Array.from({ length: LCD_LINES }, () => '');
  writes = 0;

  print(line: number, text: string): void {
    if (!(line >= 0 && line < LCD_LINES)) throw new RangeError(`LCD line 0..${LCD_LINES - 1}`);
    const clean = String(text)
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, LCD_WIDTH);
    this.lines[line | 0] = clean;
    this.writes++;
  }

  text(): readonly string[] {
    return [...this.lines];
  }
}
