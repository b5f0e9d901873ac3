// `all`, `any`, `not`: combinations of expressions over the same process stream.
// `all` holds once every positive member has held at some point (in any order) and no `not` member
// has held so far; `any` holds once one member has. Because the stream is consumed as it comes,
// `not X` means "X has not held up to now": a later X does not retract a hit already reported.
// `not` is therefore only allowed inside `all`, beside at least one positive member.
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
      members: members.map((m) => m.node.newState()),
      evidence: members.map(() => null),
    }),
    feed(state, call: CallView) {
      if (state.fired) return null;
      members.forEach((m, i) => {
        const hit = m.node.feed(state.members[i], call);
        if (hit) state.evidence[i] = hit;
      });
      const holds = (m: Member, i: number) =>
        m.negated ? !state.members[i].fired : state.evidence[i] !== null;
      if (mode === 'all' ? !members.every(holds) : !members.some(holds)) return null;
      state.fired = true;
      return state.evidence.flatMap((e, i) => (e && !members[i].negated ? e : []));
    },
  };
}
