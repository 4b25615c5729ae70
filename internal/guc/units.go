package guc

import "math"

// unitConversion is one row of PostgreSQL's memory_unit_conversion_table
// or time_unit_conversion_table (src/backend/utils/misc/guc.c): how many
// base units one unit is worth.
type unitConversion struct {
	unit       string
	multiplier float64
}

// blockSize is BLCKSZ and XLOG_BLCKSZ of the server the catalog came from
// (pg_settings shows the block unit as "8kB").
const blockSize = 8192

// unitTables holds, per base unit as pg_settings names it, the units a
// value may be written in, largest first. The order matters: a
// fractional value is rounded to a whole number of the next smaller unit
// (30.1GB to whole MB), exactly as convert_to_base_unit does. The
// multipliers are computed with the same float64 expressions as the C
// tables so the rounding is bit-identical.
var unitTables = map[string][]unitConversion{
	"B": {
		{"TB", 1024.0 * 1024.0 * 1024.0 * 1024.0},
		{"GB", 1024.0 * 1024.0 * 1024.0},
		{"MB", 1024.0 * 1024.0},
		{"kB", 1024.0},
		{"B", 1.0},
	},
	"kB": {
		{"TB", 1024.0 * 1024.0 * 1024.0},
		{"GB", 1024.0 * 1024.0},
		{"MB", 1024.0},
		{"kB", 1.0},
		{"B", 1.0 / 1024.0},
	},
	"MB": {
		{"TB", 1024.0 * 1024.0},
		{"GB", 1024.0},
		{"MB", 1.0},
		{"kB", 1.0 / 1024.0},
		{"B", 1.0 / (1024.0 * 1024.0)},
	},
	"8kB": {
		{"TB", (1024.0 * 1024.0 * 1024.0) / (blockSize / 1024)},
		{"GB", (1024.0 * 1024.0) / (blockSize / 1024)},
		{"MB", 1024.0 / (blockSize / 1024)},
		{"kB", 1.0 / (blockSize / 1024)},
		{"B", 1.0 / blockSize},
	},
	"ms": {
		{"d", 1000 * 60 * 60 * 24},
		{"h", 1000 * 60 * 60},
		{"min", 1000 * 60},
		{"s", 1000},
		{"ms", 1},
		{"us", 1.0 / 1000},
	},
	"s": {
		{"d", 60 * 60 * 24},
		{"h", 60 * 60},
		{"min", 60},
		{"s", 1},
		{"ms", 1.0 / 1000},
		{"us", 1.0 / (1000 * 1000)},
	},
	"min": {
		{"d", 60 * 24},
		{"h", 60},
		{"min", 1},
		{"s", 1.0 / 60},
		{"ms", 1.0 / (1000 * 60)},
		{"us", 1.0 / (1000 * 1000 * 60)},
	},
}

// The HINT texts PostgreSQL attaches to a bad unit.
const (
	memoryUnitsHint = `Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".`
	timeUnitsHint   = `Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".`
)

func unitTable(baseUnit string) []unitConversion { return unitTables[baseUnit] }

func unitsHint(baseUnit string) string {
	switch baseUnit {
	case "ms", "s", "min":
		return timeUnitsHint
	}
	return memoryUnitsHint
}

// maxUnitLen is MAX_UNIT_LEN: the longest unit name, "min".
const maxUnitLen = 3

// convertToBaseUnit is PostgreSQL's convert_to_base_unit: unit is the
// text after the number (whitespace already skipped), which must be a
// unit name of at most three bytes, optionally followed by whitespace.
// Unit names are case-sensitive: "kb" and "mb" are errors.
func convertToBaseUnit(value float64, unit, baseUnit string) (float64, bool) {
	n := 0
	for n < len(unit) && !isCSpace(unit[n]) && n < maxUnitLen {
		n++
	}
	name := unit[:n]
	for _, b := range []byte(unit[n:]) {
		if !isCSpace(b) {
			return 0, false // unit too long, or garbage after it
		}
	}
	table := unitTable(baseUnit)
	for i, row := range table {
		if row.unit != name {
			continue
		}
		v := value * row.multiplier
		// A fractional value is rounded to a whole number of the next
		// smaller unit, when there is one.
		if i+1 < len(table) {
			next := table[i+1].multiplier
			v = math.RoundToEven(v/next) * next
		}
		return v, true
	}
	return 0, false
}
