/**
 * Remote membership operations for the client API: joining, knocking on, leaving (rejecting an
 * invite, retracting a knock) rooms through other servers, and inviting users of other servers
 * to our rooms. Each takes the `App`, and fails with a `MatrixError` meant for the client
 * (remote-errors.ts documents how remote failures map).
 */
export { weAreInRoom, type MembershipResult } from "./handshake.js";
export { joinRemoteRoom, type JoinRemoteRequest } from "./join.js";
export { knockRemoteRoom, type KnockRemoteRequest, type KnockResult } from "./knock.js";
export { leaveRemoteRoom, outOfBandLeave, type LeaveRemoteRequest } from "./leave.js";
export { inviteRemoteUser, type InviteRemoteRequest } from "./invite.js";
export { toClientError, InvalidRemoteResponse } from "./remote-errors.js";
