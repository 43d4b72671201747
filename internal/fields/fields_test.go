package fields

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// The wanted values below are what CPython 3.11 answers.

func TestPythonInt(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		wantOK bool
	}{
		{"0", 0, true},
		{"10", 10, true},
		{"-5", -5, true},
		{"+5", 5, true},
		{"-0", 0, true},
		{"00012", 12, true},
		{" 7 ", 7, true},
		{"\t\n\v\f\r8\r\n", 8, true},
		{"\u00a07\u2003", 7, true},
		{"\u00855\u3000", 5, true},
		{"1_000", 1000, true},
		{"0_0", 0, true},
		{"١٢٣", 123, true},      // Arabic-Indic
		{"०९", 9, true},         // Devanagari
		{"１２", 12, true},        // fullwidth
		{"\U0001d7df", 7, true}, // mathematical double-struck seven
		{"٠_١", 1, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"-9_223_372_036_854_775_808", math.MinInt64, true},
		{strings.Repeat("0", 40) + "1", 1, true},
		{"-" + strings.Repeat("0", 30) + "9223372036854775807", -math.MaxInt64, true},

		{"", 0, false},
		{"   ", 0, false},
		{"+", 0, false},
		{"-", 0, false},
		{"+-1", 0, false},
		{"+ 5", 0, false},
		{"1 2", 0, false},
		{"_1", 0, false},
		{"1_", 0, false},
		{"1__0", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"abc", 0, false},
		{"²", 0, false}, // a digit, but not a decimal one
		{"1\x00", 0, false},
		{"\x1c5", 0, false}, // str.strip() trims \x1c, int() does not
		{"5\x1f", 0, false},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{strings.Repeat("9", 30), 0, false},
		{"18446744073709551616", 0, false}, // 2^64: wraps a uint64 to 0
		{"18446744073709551615", 0, false},
		{"-18446744073709551616", 0, false},
		{"92233720368547758070", 0, false},
	}
	for _, tt := range tests {
		got, ok := PythonInt(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("PythonInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestPythonFloatRepr(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1.5, "1.5"},
		{100, "100.0"},
		{1000, "1000.0"},
		{0.1, "0.1"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{-1.25e-7, "-1.25e-07"},
		{3e-4, "0.0003"},
		{123456789.123, "123456789.123"},
		{1e15, "1000000000000000.0"},
		{9999999999999998, "9999999999999998.0"},
		{1e16, "1e+16"},
		{12345678901234567, "1.2345678901234568e+16"},
		{1e20, "1e+20"},
		{1e22, "1e+22"},
		{1.5e300, "1.5e+300"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{5e-324, "5e-324"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		if got := pythonFloatRepr(tt.in); got != tt.want {
			t.Errorf("pythonFloatRepr(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// pythonNumberString is str() of what json.loads makes of a number.
func TestPythonNumberString(t *testing.T) {
	for in, want := range map[string]string{
		"123":   "123",
		"-0":    "0",
		"-0.0":  "-0.0",
		"1E20":  "1e+20",
		"1e3":   "1000.0",
		"1e400": "inf", "-1e400": "-inf",
		"0.000001":                       "1e-06",
		"12345678901234567890.5":         "1.2345678901234567e+19",
		"123456789012345678901234567890": "123456789012345678901234567890",
	} {
		if got := pythonNumberString(json.Number(in)); got != want {
			t.Errorf("pythonNumberString(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestCharFieldClean(t *testing.T) {
	name := Char{MaxLength: 100}
	password := Char{NoTrim: true}
	hundred := strings.Repeat("é", 100)
	tests := []struct {
		name     string
		field    Char
		in       any
		want     string
		wantErrs []string
	}{
		{"string", name, "Ravi", "Ravi", nil},
		{"trimmed", name, " \t Ravi \n", "Ravi", nil},
		{"trimmed like str.strip()", name, "\x1c\u00a0Ravi\u3000\x1f", "Ravi", nil},
		{"inner spaces kept", name, "Ravi  Kumar", "Ravi  Kumar", nil},
		{"integer", name, json.Number("123"), "123", nil},
		{"float", name, json.Number("1e3"), "1000.0", nil},
		{"huge integer", name, json.Number("123456789012345678901234567890"), "123456789012345678901234567890", nil},
		{"100 code points", name, hundred, hundred, nil},
		{"100 after trimming", name, "  " + hundred + "  ", hundred, nil},
		{"101 code points", name, hundred + "x", "", []string{msgMaxLength(100)}},
		{"no limit", Char{}, strings.Repeat("x", 1000), strings.Repeat("x", 1000), nil},
		{"null", name, nil, "", []string{msgNull}},
		{"empty", name, "", "", []string{msgBlank}},
		{"only spaces", name, " \t\n", "", []string{msgBlank}},
		{"bool", name, true, "", []string{msgNotString}},
		{"list", name, []any{"a"}, "", []string{msgNotString}},
		{"object", name, map[string]any{}, "", []string{msgNotString}},
		{"NUL", name, "a\x00b", "", []string{msgNullChars}},
		{"too long and NUL", name, strings.Repeat("x", 101) + "\x00", "", []string{msgMaxLength(100), msgNullChars}},
		{"password not trimmed", password, " pw ", " pw ", nil},
		{"password of spaces is not blank", password, "  ", "  ", nil},
		{"empty password is blank", password, "", "", []string{msgBlank}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := tt.field.Clean(tt.in)
			if !reflect.DeepEqual(errs, tt.wantErrs) {
				t.Fatalf("Clean(%#v) errors %q, want %q", tt.in, errs, tt.wantErrs)
			}
			if errs == nil && got != tt.want {
				t.Errorf("Clean(%#v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIntegerFieldClean(t *testing.T) {
	invalid := []string{msgInvalidInt}
	tests := []struct {
		name     string
		in       any
		want     int64
		wantErrs []string
	}{
		{"10", json.Number("10"), 10, nil},
		{"-5", json.Number("-5"), -5, nil},
		{"-0", json.Number("-0"), 0, nil},
		{"10.0", json.Number("10.0"), 10, nil},
		{"-0.0", json.Number("-0.0"), 0, nil},
		{"1e3 is 1000.0", json.Number("1e3"), 1000, nil},
		{"1E2", json.Number("1E2"), 100, nil},
		{"largest fixed-notation float", json.Number("9999999999999998.0"), 9999999999999998, nil},
		{"max int64", json.Number("9223372036854775807"), math.MaxInt64, nil},
		{"min int64", json.Number("-9223372036854775808"), math.MinInt64, nil},
		{`"10"`, "10", 10, nil},
		{`" 7 "`, " 7 ", 7, nil},
		{`"+5"`, "+5", 5, nil},
		{`"10.0"`, "10.0", 10, nil},
		{`"10."`, "10.", 10, nil},
		{`"10.000 "`, "10.000 ", 10, nil},
		{`"10.0" and NBSP`, "10.0\u00a0", 10, nil},
		{`"10.0" and \x1c, as re_decimal's \s`, "10.0\x1c", 10, nil},
		{`"10.0" and \v`, "10.0\v", 10, nil},
		{`"1_0"`, "1_0", 10, nil},
		{`"١٢"`, "١٢", 12, nil},
		{"1000 code points", strings.Repeat(" ", 998) + "١٢", 12, nil},

		{"10.5", json.Number("10.5"), 0, invalid},
		{"1e16 is written 1e+16", json.Number("1e16"), 0, invalid},
		{"1e400", json.Number("1e400"), 0, invalid},
		{"30 digits", json.Number(strings.Repeat("1", 30)), 0, invalid},
		{"max int64 + 1", json.Number("9223372036854775808"), 0, invalid},
		{"true", true, 0, invalid},
		{"false", false, 0, invalid},
		{"null", nil, 0, []string{msgNull}},
		{"list", []any{json.Number("1")}, 0, invalid},
		{"object", map[string]any{}, 0, invalid},
		{`"abc"`, "abc", 0, invalid},
		{`""`, "", 0, invalid},
		{`"1e3"`, "1e3", 0, invalid},
		{`"10.5"`, "10.5", 0, invalid},
		{`"1.0.0"`, "1.0.0", 0, invalid},
		{`"10.0 0"`, "10.0 0", 0, invalid},
		{`"0x10"`, "0x10", 0, invalid},
		{`"10\x1c"`, "10\x1c", 0, invalid},
		{`30 digits`, strings.Repeat("9", 30), 0, invalid},
		{"1001 code points", strings.Repeat(" ", 999) + "١٢", 0, []string{msgIntTooLong}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := Integer{}.Clean(tt.in)
			if !reflect.DeepEqual(errs, tt.wantErrs) {
				t.Fatalf("Clean(%#v) errors %q, want %q", tt.in, errs, tt.wantErrs)
			}
			if errs == nil && got != tt.want {
				t.Errorf("Clean(%#v) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}
