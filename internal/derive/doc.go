// Package derive computes, from the normalized model, everything that more
// than one later stage needs: the literal text of each GUC, the variables a
// stack reads and their compose interpolation, the sample environment
// compose is validated with, the pg_hba rules, the [pgbouncer] settings,
// the port specs and the TLS model: every connection with its sslmode
// (Connections), the names a server certificate must cover (DialedNames)
// and the TLS lines of postgresql.conf and pgbouncer.ini.
//
// Policy, the renderers and the docs read these values; none of them
// computes them again, so a policy rule checks exactly the string a
// renderer writes and a docs table shows exactly what the file holds.
// Output and container paths live one layer lower, in model, because
// normalize mounts them.
//
// derive never imports render, policy, docs or compile.
package derive
