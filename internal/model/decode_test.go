package model

import (
	"encoding/json"
	"reflect"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// TestGUCValueJSONKeepsKind: Decode goes through CUE's JSON export, so the
// kind of a setting (which decides quoting in postgresql.conf) must come
// out of the JSON the same as out of the CUE value itself.
func TestGUCValueJSONKeepsKind(t *testing.T) {
	v := cuecontext.New().CompileString(`{
		i: 100, neg: -3, big: 9007199254740993, fraction: 0.9, whole: 1.0, exp: 2.5e3, negzero: -0.0,
		str: "64MB", numstr: "1", on: true, off: false, n: number & 4, f: float & 3.0
	}`)
	if v.Err() != nil {
		t.Fatal(v.Err())
	}
	it, err := v.Fields()
	if err != nil {
		t.Fatal(err)
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		var fromCUE, fromJSON GUCValue
		if err := fromCUE.UnmarshalCUE(it.Value()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := it.Value().MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := fromJSON.UnmarshalJSON(b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fromCUE != fromJSON {
			t.Errorf("%s (%s): CUE gives %+v, JSON gives %+v", name, b, fromCUE, fromJSON)
		}
	}
}

// TestDecodeTunableKinds: a tunable's kind comes from how its default is
// written, and the field it sits in gets the default.
func TestDecodeTunableKinds(t *testing.T) {
	v := cuecontext.New().CompileString(`{
		memory: {tunable: "MEM", default: "2g", min: "512m", max: "64g"}
		memory_reservation: "1g"
		cpus: {tunable: "CPUS", default: 2, min: 0.5, max: 8}
		pids: {tunable: "PIDS", default: 512, min: 256, max: 4096}
	}`)
	b, err := v.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var r Resources
	if err := r.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if r.Memory != "2g" || r.MemoryReservation != "1g" || r.CPUs != 2 {
		t.Errorf("fields = %+v; want the defaults and the literal", r)
	}
	want := map[string]TunableKind{"memory": TunableSize, "cpus": TunableNumber, "pids": TunableInt}
	for field, kind := range want {
		tn := r.Tunables[field]
		if tn == nil || tn.Kind != kind {
			t.Errorf("%s: tunable %+v; want kind %s", field, tn, kind)
		}
	}
	if tn := r.Tunables["cpus"]; tn != nil && (tn.Min != "0.5" || tn.Max != "8" || tn.Default != "2") {
		t.Errorf("cpus range = %s..%s default %s; want 0.5..8 default 2", tn.Min, tn.Max, tn.Default)
	}
}

// TestNoCUEOnlyDecoders: Decode uses encoding/json, which never calls
// UnmarshalCUE. A type of the model that decodes itself from CUE must do
// the same from JSON, or its method would be silently skipped.
func TestNoCUEOnlyDecoders(t *testing.T) {
	cueDecoder := reflect.TypeFor[interface{ UnmarshalCUE(cue.Value) error }]()
	jsonDecoder := reflect.TypeFor[json.Unmarshaler]()
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		if seen[ty] {
			return
		}
		seen[ty] = true
		if p := reflect.PointerTo(ty); p.Implements(cueDecoder) && !p.Implements(jsonDecoder) {
			t.Errorf("%s (%s) has UnmarshalCUE but no UnmarshalJSON", ty, path)
		}
		switch ty.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(ty.Elem(), path+"[]")
		case reflect.Map:
			walk(ty.Elem(), path+"{}")
		case reflect.Struct:
			for f := range ty.Fields() {
				if f.IsExported() && f.Tag.Get("json") != "-" {
					walk(f.Type, path+"."+f.Name)
				}
			}
		}
	}
	walk(reflect.TypeFor[Config](), "Config")
	if len(seen) < 20 {
		t.Fatalf("walked %d types; the model has more", len(seen))
	}
}
