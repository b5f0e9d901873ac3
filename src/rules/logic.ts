// `all`, `any`, `not`: combinations of expressions over the same process stream.
// `all` holds once every positive member has held at some point (in any order) and no `not` member
// has held so far; `any` holds once one member has. Because the stream is consumed as it comes,
// `not X` means "X has not held up to now": a later X does not retract a hit already reported.
// `not` is therefore only allowed inside `all`, beside at least one positive member.
// Absent data: `not X` also fails once X became undetermined (a call could have advanced X but lacked
// the argument to tell, node.ts), so a rule never fires because the data to refute it was missing.
// Evidence is the union of the positive members' calls, each call once (first occurrence kept).
import { type Evidence, type ExpressionNode, type NodeState, unionApis } from './node.js';
import type { CallView } from './values.js';

export interface GroupState extends NodeState {
  members: NodeState[];
  evidence: (Evidence[] | null)[];
}

interface Member {
  node: ExpressionNode;
  negated: boolean;
}

export function compileAll(members: Member[]): ExpressionNode<GroupState> {
  return group(members, 'all');
}

export function compileAny(members: ExpressionNode[]): ExpressionNode<GroupState> {
  return group(
    members.map((node) => ({ node, negated: false })),
    'any',
  );
}

function group(members: Member[], mode: 'all' | 'any'): ExpressionNode<GroupState> {
  return {
    apis: unionApis(members.map((m) => m.node.apis)),
    newState: () => ({
      fired: false,
      undetermined: false,
      members: members.map((m) => m.node.newState()),
      evidence: members.map(() => null),
    }),
    feed(state, call: CallView) {
      if (state.fired) return null;
      members.forEach((m, i) => {
        const hit = m.node.feed(state.members[i], call);
        if (hit) state.evidence[i] = hit;
        if (state.members[i].undetermined) state.undetermined = true;
      });
      const holds = (m: Member, i: number) => {
        const s = state.members[i];
        return m.negated ? !s.fired && !s.undetermined : state.evidence[i] !== null;
      };
      if (mode === 'all' ? !members.every(holds) : !members.some(holds)) return null;
      state.fired = true;
      return distinctCalls(state.evidence.flatMap((e, i) => (e && !members[i].negated ? e : [])));
    },
  };
}

/** The evidence with each call (process id and index) listed once, in first-seen order. */
function distinctCalls(evidence: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => {
    const key = `${e.pid ?? ''}:${e.index}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
