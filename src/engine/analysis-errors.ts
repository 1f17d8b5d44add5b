/** The deployment cannot be analysed as it is configured (old version, non-LFU policy, mode). */
export class AnalysisRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalysisRefused';
  }
}
