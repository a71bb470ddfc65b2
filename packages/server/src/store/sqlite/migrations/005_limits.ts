/**
 * Migration 5: the hosts an app's functions may reach beyond the public internet (an operator's
 * setting, `egress_allow`) and a function's own memory limit.
 */
export const m005Limits = `
  ALTER TABLE apps ADD COLUMN egress_allow TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE functions ADD COLUMN memory_mb INTEGER;
  `;
