interface Pending<In, Out> {
  input: In;
  resolve: (output: Out) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the calls made during one turn of the event loop and runs them together at its end
 * (`setImmediate`): one Redis command for every caller of the turn instead of one each. Under
 * load, a socket write to Redis per call was the largest cost, and one turn reads many client
 * frames. At most `maxBatch` inputs go in one run (a burst after a stall): the rest in the next.
 */
export class TurnBatch<In, Out> {
  private pending: Pending<In, Out>[] = [];
  private scheduled = false;

  /**
   * `run` answers every input, in order: an `Error` rejects that caller alone; a rejected run
   * rejects them all.
   */
  constructor(
    private readonly run: (inputs: In[]) => Promise<(Out | Error)[]>,
    private readonly maxBatch: number,
  ) {}

  add(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length >= this.maxBatch) return void this.flush();
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    if (batch.length === 0) return;
    try {
      const outputs = await this.run(batch.map(({ input }) => input));
      batch.forEach(({ resolve, reject }, i) => {
        const output = outputs[i];
        if (output instanceof Error) reject(output);
        else resolve(output);
      });
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }
}
