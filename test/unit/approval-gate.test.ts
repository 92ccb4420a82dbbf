/** The approval gate's validator: who may decide a deploy job or a stack `up`, and only once. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkDecision, decisionRecord, type GateSubject } from '../../workflows/approval/gate';
import type { ApprovalRule } from '../../workflows/contracts/approval';

const subject: GateSubject = {
  name: '"deploy"',
  requesterDid: 'triggered this run',
  requesterName: 'its deploy to production',
};
const waiting = () => ({ approval: { state: 'waiting' as const } });

describe('checkDecision', () => {
  test('lets a listed approver decide, and anyone when no approvers are listed', () => {
    const rule: ApprovalRule = { approvers: ['release-manager'], requester: 'alice', requesterMayDecide: false };
    assert.doesNotThrow(() => checkDecision(rule, waiting(), { approve: true, by: 'release-manager' }, subject));
    const anyone = { ...rule, approvers: [] };
    assert.doesNotThrow(() => checkDecision(anyone, waiting(), { approve: false, by: 'bob' }, subject));
  });

  test('refuses a principal who is not an approver, naming the approvers', () => {
    const rule: ApprovalRule = { approvers: ['release-manager', 'cto'], requester: 'alice', requesterMayDecide: false };
    assert.throws(() => checkDecision(rule, waiting(), { approve: true, by: 'bob' }, subject), {
      message: 'bob may not approve "deploy"; approvers: release-manager, cto',
    });
  });

  test('refuses the requester unless the rule allows them', () => {
    const rule: ApprovalRule = { approvers: [], requester: 'alice', requesterMayDecide: false };
    assert.throws(() => checkDecision(rule, waiting(), { approve: true, by: 'alice' }, subject), {
      message: 'alice triggered this run and may not approve its deploy to production',
    });
    const allowed = { ...rule, requesterMayDecide: true };
    assert.doesNotThrow(() => checkDecision(allowed, waiting(), { approve: true, by: 'alice' }, subject));
  });

  test('refuses a second decision once the gate is decided', () => {
    const rule: ApprovalRule = { approvers: [], requester: 'alice', requesterMayDecide: false };
    const holder = { approval: decisionRecord({ approve: false, by: 'bob', comment: 'not today' }) };
    assert.equal(holder.approval.state, 'rejected');
    assert.equal(holder.approval.comment, 'not today');
    assert.throws(() => checkDecision(rule, holder, { approve: true, by: 'carol' }, subject), {
      message: '"deploy" was rejected by bob already',
    });
  });
});
