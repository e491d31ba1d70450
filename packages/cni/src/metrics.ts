// The agent's metrics, rendered in the Prometheus text format at /metrics.

export class Metrics {
  /** Pods whose IPs are in the ipset now. */
  enrolledPods = 0;
  /** Reconcile and per-pod redirection failures since start. */
  reconcileErrors = 0;
  ready = 0;
  readonly #events = new Map<string, number>();

  pluginEvent(command: string, result: 'ok' | 'error'): void {
    const k = `${command}\u0000${result}`;
    this.#events.set(k, (this.#events.get(k) ?? 0) + 1);
  }

  render(): string {
    const lines = [
      '# HELP amesh_cni_enrolled_pods Pods of this node whose traffic is redirected to ztunnel.',
      '# TYPE amesh_cni_enrolled_pods gauge',
      `amesh_cni_enrolled_pods ${this.enrolledPods}`,
      '# HELP amesh_cni_reconcile_errors_total Failed reconcile or per-pod redirection steps.',
      '# TYPE amesh_cni_reconcile_errors_total counter',
      `amesh_cni_reconcile_errors_total ${this.reconcileErrors}`,
      '# HELP amesh_cni_ready Whether the node agent is ready (1) or not (0).',
      '# TYPE amesh_cni_ready gauge',
      `amesh_cni_ready ${this.ready}`,
      '# HELP amesh_cni_plugin_events_total CNI plugin events handled, by command and result.',
      '# TYPE amesh_cni_plugin_events_total counter',
    ];
    for (const [k, v] of [...this.#events].sort()) {
      const [command, result] = k.split('\u0000');
      lines.push(`amesh_cni_plugin_events_total{command="${command}",result="${result}"} ${v}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
