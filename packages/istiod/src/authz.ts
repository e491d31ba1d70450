// AuthorizationPolicy → istio.security.Authorization: @amesh/rbac's conversion (istiod's convertAuthorizationPolicy),
// re-expressed in @amesh/xds's model (textual IPs, extensions lists).
import { toWireAuthorization, type Authorization as RbacAuthorization, type Policy, type WireMatch } from '@amesh/rbac';
import { bytesToIp, type Authorization, type Match } from '@amesh/xds';

function cidrs(list: readonly { address: Uint8Array; length: number }[]): { address: string; length: number }[] {
  const out: { address: string; length: number }[] = [];
  for (const a of list) {
    const ip = bytesToIp(a.address);
    if (ip !== undefined) out.push({ address: ip, length: a.length });
  }
  return out;
}

function match(m: WireMatch): Match {
  return {
    namespaces: [...m.namespaces],
    notNamespaces: [...m.notNamespaces],
    serviceAccounts: m.serviceAccounts.map((s) => ({ ...s })),
    notServiceAccounts: m.notServiceAccounts.map((s) => ({ ...s })),
    principals: [...m.principals],
    notPrincipals: [...m.notPrincipals],
    sourceIps: cidrs(m.sourceIps),
    notSourceIps: cidrs(m.notSourceIps),
    destinationIps: cidrs(m.destinationIps),
    notDestinationIps: cidrs(m.notDestinationIps),
    destinationPorts: [...m.destinationPorts],
    notDestinationPorts: [...m.notDestinationPorts],
    extensions: [],
  };
}

/** rbac's wire Authorization → the xds model. */
export function toXdsAuthorization(a: RbacAuthorization): Authorization {
  return {
    name: a.name,
    namespace: a.namespace,
    scope: a.scope,
    action: a.action,
    groups: a.groups.map((g) => ({ rules: g.rules.map((r) => ({ matches: r.matches.map(match) })) })),
    dryRun: a.dryRun,
    extensions: [],
  };
}

/** Converts a validated policy; `authorization` is null when istiod sends nothing to ztunnel (with the status why). */
export function convertPolicy(p: Policy, options: { rootNamespace: string; enableDryRun?: boolean }): { authorization: Authorization | null; status: readonly string[] } {
  const r = toWireAuthorization(p, { rootNamespace: options.rootNamespace, enableDryRun: options.enableDryRun ?? false });
  return { authorization: r.authorization ? toXdsAuthorization(r.authorization) : null, status: r.status };
}
