// The part of terminal-kit 3 that npm start's live view uses (the package ships no types).
declare module 'terminal-kit' {
  interface Terminal {
    (text: string): Terminal;
    width: number;
    height: number;
    moveTo(x: number, y: number): Terminal;
    eraseLine(): Terminal;
    eraseDisplayBelow(): Terminal;
    clear(): Terminal;
    hideCursor(hide?: boolean): Terminal;
    fullscreen(on: boolean): Terminal;
    styleReset(): Terminal;
    bold: Terminal;
    dim: Terminal;
    green: Terminal;
    yellow: Terminal;
    red: Terminal;
    cyan: Terminal;
    brightBlack: Terminal;
    grabInput(on: boolean | object): void;
    on(event: 'key', fn: (name: string, matches: string[], data: { isCharacter: boolean }) => void): void;
    on(event: 'resize', fn: (width: number, height: number) => void): void;
  }
  const termkit: { terminal: Terminal };
  export default termkit;
}
