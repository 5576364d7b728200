/**
 * The types of `wsherd plan`: what the user plans for (PlanInputs), what one connection costs (Costs), and what
 * the model answers (Plan). Every number the user sees is a Figure: its value with the formula that produced it,
 * because a capacity plan nobody can check is a guess.
 */

/**
 * What stands between clients and backends:
 * - `balancer`: one balancer tier (HAProxy, nginx, the reference proxy) in front of the backend tier;
 * - `dns`: DNS round robin straight to the backends (backend tier only);
 * - `orchestrator`: clients ask an orchestrator for a backend URL, then connect to the backend directly;
 * - `dns-balancers`: DNS in front of a balancer tier, which is in front of the backends.
 */
export type Topology = 'balancer' | 'dns' | 'orchestrator' | 'dns-balancers';
export const TOPOLOGIES: readonly Topology[] = ['balancer', 'dns', 'orchestrator', 'dns-balancers'];

/**
 * Which balancer the bundled reference costs describe (`--balancer-kind`): wsherd's own Node proxy (L4), HAProxy
 * or nginx, each measured in front of wsherd's reference backends (src/plan/reference-costs.ts).
 */
export type BalancerKind = 'wsherd' | 'haproxy' | 'nginx';
export const BALANCER_KINDS: readonly BalancerKind[] = ['wsherd', 'haproxy', 'nginx'];

export type TierName = 'balancer' | 'backend' | 'orchestrator';

/** Which side closes TCP first, and so holds the port in TIME_WAIT for 60 s (docs/limits.md). */
export type ClosesFirst = 'balancer' | 'backend';

/** One host of a tier, as the user can provision it. */
export interface HostShape {
  /** Memory, bytes. */
  ramBytes: number;
  /** CPU cores the balancer or backend may use. */
  cores: number;
  /** The per-process fd limit (`ulimit -n`, LimitNOFILE) the host will run with. */
  fds: number;
  /** `net.ipv4.ip_local_port_range` as [low, high]: each (source, destination) gets high − low + 1 ports. */
  portRange: [number, number];
  /** Balancer hosts: upstream source addresses (HAProxy `source`, nginx `proxy_bind`) each balancer connects from. */
  sources: number;
  /** Backend hosts: listening ports per host; each is its own destination for the balancer's ports. */
  listenPorts: number;
  /** A fixed number of hosts for this tier (the hosts you have): planning then checks they hold, instead of sizing. */
  count?: number;
}

export interface PlanInputs {
  /** Peak concurrent connections. */
  connections: number;
  /** New connections per second at peak (reconnects included). */
  churn: number;
  /** Messages per second per connection, both directions counted (a client message and its echo are 2). */
  messagesPerSecond: number;
  /** Bytes per message (payload). */
  messageBytes: number;
  topology: Topology;
  /** Fraction of every capacity kept free (0.3: plan to 70%). */
  headroom: number;
  closesFirst: ClosesFirst;
  /** Whose reference costs size the balancer tier without --results (default wsherd). */
  balancerKind: BalancerKind;
  hosts: Record<TierName, HostShape>;
  /** The load test's own clients: the hosts (or pods) that drive the connections (src/plan/generator.ts). */
  generator: GeneratorShape;
}

/** One generator host: it runs `wsherd run` (a coordinator and its worker processes) against the target. */
export interface GeneratorShape {
  /** Memory, bytes. */
  ramBytes: number;
  cores: number;
  /** The per-process fd limit (`ulimit -n`): each worker has its own. */
  fds: number;
  /** `net.ipv4.ip_local_port_range` as [low, high]: each (source address, target address:port) gets high − low + 1 ports. */
  portRange: [number, number];
  /** Source addresses per generator host (the scenario's `population` addresses), each with its own ports. */
  sources: number;
  /** Worker processes per host; absent: as many as the host's connections and rates need (src/load/worker-count.ts's rule). */
  workers?: number;
  /** Distinct target address:port pairs the clients connect to (default 1: everything to one balancer address). */
  targets: number;
  /** Connections opened per second at the steepest (the ramp); absent: max(churn, connections / 60 s). */
  openRate?: number;
  /** The generator hosts you have: the plan then says whether they can drive the load. */
  count?: number;
}

/** What the generator spends per connection (src/plan/generator-costs.ts). */
export interface GeneratorCosts {
  origin: 'reference' | 'calibrated';
  label: string;
  /** The whole tree's (coordinator + workers) resident memory per held connection, bytes. */
  memoryPerConnection: Cost;
  fdsPerConnection: Cost;
  /** The coordinator's RSS before the run, and one worker's before its first connection, bytes. */
  coordinatorIdleBytes: Cost;
  workerIdleBytes: Cost;
  /** CPU core-seconds per second for every 100 connections opened per second. */
  cpuPer100NewConnections: Cost;
  /** CPU core-seconds per second for every 1,000 messages/s (both directions counted). */
  cpuPer1000Messages: Cost;
  notes: string[];
}

/** Kubernetes: one pod per shard, each with its own address, sized by its requests. */
export interface GeneratorPods {
  pods: Figure;
  connectionsPerPod: number;
  workersPerPod: number;
  /** e.g. `1300m` and `1216Mi`, each with its arithmetic. */
  cpuRequest: Setting;
  memoryRequest: Setting;
}

export interface GeneratorPlan {
  /** Hosts with the source addresses given (ports as hardware), or the count given. */
  hosts: number;
  binding: ConstraintName;
  constraints: Constraint[];
  connectionsPerHost: Figure;
  workersPerHost: Figure;
  /** When ports set the count: source addresses per host that let the other constraints set it instead. */
  withSources?: { sources: number; hosts: number; formula: string };
  pods: GeneratorPods;
  /** `wsherd run --shard i/N` commands: one shard per host (and per pod). */
  shards: string[];
  /** A generator host is not production: no spare, and why. */
  redundancy: { rule: 'none'; reason: string };
  settings: Setting[];
  costs: GeneratorCosts;
  notes: string[];
}

/** A measured (or bundled) cost with its uncertainty. */
export interface Cost {
  value: number;
  /** Standard deviation across the samples used (0 with one sample). */
  spread: number;
  /** How many samples (probe points, intervals) it rests on. */
  samples: number;
  /** Where it comes from, e.g. `reference` or the results files. */
  source: string;
}

/** What one connection costs a component (a balancer process, a backend process). */
export interface ComponentCosts {
  /** Resident memory per open connection, bytes. */
  memoryPerConnection: Cost;
  /** fds per open connection (a proxy relays two sockets per client, a backend holds one). */
  fdsPerConnection: Cost;
  /** fds and memory the process holds before the first connection. */
  idleFds: Cost;
  idleMemoryBytes: Cost;
  /** CPU core-seconds per second for every 1,000 messages/s (both directions counted). */
  cpuPer1000Messages?: Cost;
  /** CPU core-seconds per second for every 100 new connections/s. */
  cpuPer100NewConnections?: Cost;
}

export interface Costs {
  /** `reference`: bundled, measured on wsherd's own machine, not yours; `calibrated`: from your results. */
  origin: 'reference' | 'calibrated';
  /** One line saying where the costs come from (machine, date, command; or the results files). */
  label: string;
  balancer: ComponentCosts;
  backend: ComponentCosts;
  /** Orchestrator: CPU core-seconds per second for every 100 lookups/s (one lookup per new connection). */
  orchestratorCpuPer100Lookups: Cost;
  /** Why a run, or one of its costs, was not used; and costs that fell back to the reference. */
  notes: string[];
}

/** A number and the arithmetic that produced it. */
export interface Figure {
  value: number;
  unit: string;
  formula: string;
}

export type ConstraintName = 'memory' | 'fds' | 'ports' | 'cpu';

export interface Constraint {
  name: ConstraintName;
  /** What the whole tier must carry, in the constraint's unit. */
  load: Figure;
  /** What one host offers. */
  capacityPerHost: Figure;
  /** ceil(load / (capacity × (1 − headroom))). */
  hosts: Figure;
}

export interface Setting {
  /** e.g. `LimitNOFILE` (systemd), `ulimit -n`, `net.ipv4.ip_local_port_range`, HAProxy `maxconn`. */
  name: string;
  value: string;
  formula: string;
  /** Why or where, one sentence. */
  note?: string;
}

export interface TierPlan {
  tier: TierName;
  /** Hosts to run: the max over constraints (or the fixed count given). */
  hosts: number;
  /** The constraint that needs the most hosts. */
  binding: ConstraintName;
  constraints: Constraint[];
  /** Connections on each host at peak: connections / hosts. */
  connectionsPerHost: Figure;
  /** N+1: whether losing one host still carries the load (src/plan/redundancy.ts). */
  redundancy: Redundancy;
  settings: Setting[];
}

/**
 * N+1 for a production tier: the hosts such that losing any one still carries the whole load at full capacity —
 * what the what-if's "one X host lost" row checks.
 */
export interface Redundancy {
  rule: 'N+1';
  /** Hosts the load needs with the headroom: the binding constraint's count. */
  forLoad: number;
  /** max(2, ceil(load / capacity) + 1 over the constraints; a balancer's ports with one backend lost). */
  nPlusOne: Figure;
  /** The spare raised the count above what the load needs. */
  raised: boolean;
  /** The hosts run meet N+1 (false only with a fixed count= below it). */
  met: boolean;
  /** One sentence: what the load needs, what losing a host would do, and the count N+1 needs. */
  reason: string;
}

export interface WhatIfRow {
  /** e.g. `×2 growth`, `one balancer host lost`. */
  case: string;
  /** Hosts each tier needs under this case (growth), or has (host lost). */
  hosts: Partial<Record<TierName, number>>;
  /** Growth: what binds; host lost: the busiest constraint's use of the survivors' full capacity. */
  binding: string;
  /** Host lost: whether the survivors hold the load with no headroom left (use ≤ 100%). */
  holds?: boolean;
  note: string;
}

export interface Plan {
  inputs: PlanInputs;
  costs: Costs;
  tiers: TierPlan[];
  /** TIME_WAIT at this churn: sockets per balancer host and what they cost in ports. */
  timeWait: Figure[];
  whatIf: WhatIfRow[];
  /** The load test's own tier: generator hosts and pods for the connections. */
  generator: GeneratorPlan;
  /** Things to know that change no number: warnings, assumptions. */
  notes: string[];
}
