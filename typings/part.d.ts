// In the compartment of LEGAL, PLC and NON-LEGAL, RunService is the only global GENERIC adds.
declare const RunService: import('../modules/generic/services.js').RunServiceFn;
