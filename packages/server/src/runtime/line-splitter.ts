/**
 * Splits a byte stream into lines without letting one endless line grow memory: a line longer
 * than `maxLine` is cut there (the rest up to the next newline is dropped and counted).
 * `maxLine` may depend on how the line starts (it is asked with the line's text so far).
 */
export class LineSplitter {
  #pending = "";
  #dropping = false;
  #decoder = new TextDecoder();
  readonly #maxLine: number | ((start: string) => number);
  readonly #onLine: (line: string, truncated: boolean) => void;

  constructor(
    maxLine: number | ((start: string) => number),
    onLine: (line: string, truncated: boolean) => void,
  ) {
    this.#maxLine = maxLine;
    this.#onLine = onLine;
  }

  push(chunk: Uint8Array): void {
    let text = this.#decoder.decode(chunk, { stream: true });
    while (text.length > 0) {
      const nl = text.indexOf("\n");
      const part = nl === -1 ? text : text.slice(0, nl);
      text = nl === -1 ? "" : text.slice(nl + 1);
      if (!this.#dropping) {
        this.#pending += part;
        const max =
          typeof this.#maxLine === "number" ? this.#maxLine : this.#maxLine(this.#pending);
        if (this.#pending.length > max) {
          this.#onLine(this.#pending.slice(0, max), true);
          this.#pending = "";
          this.#dropping = true;
        }
      }
      if (nl !== -1) {
        if (!this.#dropping) this.#onLine(this.#pending, false);
        this.#pending = "";
        this.#dropping = false;
      }
    }
  }

  end(): void {
    const rest = this.#pending + this.#decoder.decode();
    if (rest.length > 0 && !this.#dropping) this.#onLine(rest, false);
    this.#pending = "";
  }
}
