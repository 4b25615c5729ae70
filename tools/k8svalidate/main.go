// Command k8svalidate checks Kubernetes objects against CustomResourceDefinitions
// in-process, through the same code the kube-apiserver runs for a create:
// decoding with Kubernetes' number handling, pruning of unknown fields
// (reported, as `kubectl apply`'s default strict field validation does),
// defaulting, ObjectMeta coercion and validation, the OpenAPI schema, list
// type invariants and the CEL rules (x-kubernetes-validations), all from
// k8s.io/apiextensions-apiserver v0.37.2.
//
// Built-in kinds without a CRD (ConfigMap, Secret) are decoded strictly into
// their k8s.io/api types and their ObjectMeta and keys validated with
// k8s.io/apimachinery's validation; the full core validation is left to a
// real API server.
//
// It lives in a module of its own so that azagen's module and binary do not
// carry the Kubernetes libraries.
//
// Usage:
//
//	k8svalidate -crds DIR FILE...
//
// Every YAML document of every FILE is one object. The output is one JSON
// line per object: {"file","index","apiVersion","kind","name","errors":[{"field","type","detail"}]}.
// Exit status: 0 when every object is valid, 1 when any is not, 2 on usage or
// I/O errors and on CRDs that do not load.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// Finding is one field error of an object.
type Finding struct {
	Field  string `json:"field"`
	Type   string `json:"type"`
	Detail string `json:"detail"`
}

// Report is the verdict on one object.
type Report struct {
	File       string    `json:"file"`
	Index      int       `json:"index"`
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	Errors     []Finding `json:"errors"`
}

type crdVersion struct {
	structural *structuralschema.Structural
	validate   func(ctx context.Context, u *unstructured.Unstructured) field.ErrorList
	namespaced bool
}

func main() {
	crdDir := flag.String("crds", "", "directory of CustomResourceDefinition YAML files")
	flag.Parse()
	if *crdDir == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: k8svalidate -crds DIR FILE...")
		os.Exit(2)
	}
	crds, err := loadCRDs(*crdDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8svalidate:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	invalid := false
	for _, file := range flag.Args() {
		docs, err := readDocs(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "k8svalidate:", err)
			os.Exit(2)
		}
		for i, doc := range docs {
			r := check(crds, doc)
			r.File, r.Index = file, i
			if len(r.Errors) > 0 {
				invalid = true
			}
			if err := enc.Encode(r); err != nil {
				fmt.Fprintln(os.Stderr, "k8svalidate:", err)
				os.Exit(2)
			}
		}
	}
	out.Flush()
	if invalid {
		os.Exit(1)
	}
}

// loadCRDs reads every CRD in dir and prepares each served version the way
// the apiextensions-apiserver does when it installs the CRD.
func loadCRDs(dir string) (map[schema.GroupVersionKind]*crdVersion, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := map[schema.GroupVersionKind]*crdVersion{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			var internal apiextensions.JSONSchemaProps
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
				return nil, fmt.Errorf("%s %s: %w", f, v.Name, err)
			}
			structural, err := structuralschema.NewStructural(&internal)
			if err != nil {
				return nil, fmt.Errorf("%s %s: not a structural schema: %w", f, v.Name, err)
			}
			validator, _, err := apiservervalidation.NewSchemaValidator(&internal)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", f, v.Name, err)
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
			namespaced := crd.Spec.Scope == apiextensionsv1.NamespaceScoped
			celValidator := cel.NewValidator(structural, true, celconfig.PerCallLimit)
			out[gvk] = &crdVersion{structural: structural, namespaced: namespaced, validate: func(ctx context.Context, u *unstructured.Unstructured) field.ErrorList {
				return validateCreate(ctx, u, namespaced, validator, structural, celValidator)
			}}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no CRD versions in " + dir)
	}
	return out, nil
}

// readDocs splits a multi-document YAML file; empty documents are skipped.
func readDocs(file string) ([][]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		docs = append(docs, doc)
	}
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if t := strings.TrimSpace(line); t == "---" || strings.HasPrefix(t, "#") {
			continue
		}
		b.WriteString(line + "\n")
	}
	return b.Bytes()
}

func check(crds map[schema.GroupVersionKind]*crdVersion, doc []byte) Report {
	var r Report
	fail := func(errs field.ErrorList) Report {
		for _, e := range errs {
			r.Errors = append(r.Errors, Finding{Field: e.Field, Type: string(e.Type), Detail: e.ErrorBody()})
		}
		return r
	}
	jsonData, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return fail(field.ErrorList{field.Invalid(field.NewPath(""), nil, err.Error())})
	}
	// The API server decodes numbers into int64 where they are integers;
	// encoding/json's float64 would make CEL rules on integers fail.
	var obj map[string]any
	if err := utiljson.Unmarshal(jsonData, &obj); err != nil {
		return fail(field.ErrorList{field.Invalid(field.NewPath(""), nil, err.Error())})
	}
	u := &unstructured.Unstructured{Object: obj}
	r.APIVersion, r.Kind, r.Name = u.GetAPIVersion(), u.GetKind(), u.GetName()
	gvk := u.GroupVersionKind()
	if c := crds[gvk]; c != nil {
		return fail(checkCustom(c, u))
	}
	switch gvk {
	case corev1.SchemeGroupVersion.WithKind("ConfigMap"):
		var cm corev1.ConfigMap
		if errs := strictDecode(jsonData, &cm); errs != nil {
			return fail(errs)
		}
		errs := apivalidation.ValidateObjectMeta(&cm.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
		for k := range cm.Data {
			for _, msg := range validation.IsConfigMapKey(k) {
				errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, msg))
			}
		}
		return fail(errs)
	case corev1.SchemeGroupVersion.WithKind("Secret"):
		var s corev1.Secret
		if errs := strictDecode(jsonData, &s); errs != nil {
			return fail(errs)
		}
		errs := apivalidation.ValidateObjectMeta(&s.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
		keys := map[string]bool{}
		for k := range s.StringData {
			keys[k] = true
		}
		for k := range s.Data {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
			for _, msg := range validation.IsConfigMapKey(k) {
				errs = append(errs, field.Invalid(field.NewPath("stringData").Key(k), k, msg))
			}
		}
		sort.Strings(sorted)
		// The one type-specific rule of core validation the rendered
		// Secrets rely on (ValidateSecret in k8s.io/kubernetes).
		if s.Type == corev1.SecretTypeBasicAuth && !keys[corev1.BasicAuthUsernameKey] && !keys[corev1.BasicAuthPasswordKey] {
			errs = append(errs, field.Required(field.NewPath("data"), "must contain username or password for a basic-auth Secret"))
		}
		return fail(errs)
	}
	return fail(field.ErrorList{field.NotSupported(field.NewPath("kind"), gvk.String(), []string{"a kind with a CRD in the CRD directory", "v1 ConfigMap", "v1 Secret"})})
}

// checkCustom runs the create path of a custom resource: decode-time
// pruning (unknown fields are errors under strict field validation),
// metadata coercion, defaulting, then the strategy's Validate.
func checkCustom(c *crdVersion, u *unstructured.Unstructured) field.ErrorList {
	var errs field.ErrorList
	unknown := structuralpruning.PruneWithOptions(u.Object, c.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	sort.Strings(unknown)
	for _, p := range unknown {
		errs = append(errs, field.Invalid(field.NewPath(p), nil, fmt.Sprintf("unknown field %q", p)))
	}
	if err := schemaobjectmeta.Coerce(nil, u.Object, c.structural, true, false); err != nil {
		errs = append(errs, err)
	}
	structuraldefaulting.Default(u.Object, c.structural)
	return append(errs, c.validate(context.Background(), u)...)
}

// validateCreate is customResourceStrategy.Validate of
// k8s.io/apiextensions-apiserver v0.37.2 (pkg/registry/customresource), in
// the same order, without the registry package, which would pull the
// apiserver's storage and client-go into this tool: ObjectMeta (name as a
// DNS subdomain, namespace, labels, annotations), the OpenAPI schema,
// embedded resources, list-type invariants, then the CEL rules unless an
// earlier error blocks them.
func validateCreate(ctx context.Context, u *unstructured.Unstructured, namespaced bool, schemaValidator apiservervalidation.SchemaValidator, structural *structuralschema.Structural, celValidator *cel.Validator) field.ErrorList {
	var errs field.ErrorList
	meta := &metav1.ObjectMeta{}
	if raw, ok := u.Object["metadata"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, meta); err != nil {
			return field.ErrorList{field.Invalid(field.NewPath("metadata"), nil, err.Error())}
		}
	}
	errs = append(errs, apivalidation.ValidateObjectMetaAccessor(meta, namespaced, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.UnstructuredContent(), schemaValidator)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, u.Object, structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, structural, u.Object)...)
	if celValidator != nil {
		for _, e := range errs {
			switch e.Type {
			case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
				return append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
			}
		}
		celErrs, _ := celValidator.Validate(ctx, nil, structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return errs
}

func strictDecode(data []byte, into any) field.ErrorList {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), nil, err.Error())}
	}
	return nil
}
