package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// refSignature computes a SigV4 signature the slow, obvious way, sharing no
// code with the package: it is the oracle that tests and the fuzz target
// compare Verify and Signer against. names are the signed header names in
// the order the Authorization header lists them; uri and query are the
// canonical URI and query lines.
func refSignature(secret string, r *http.Request, body []byte, names []string, uri, query, amzDate, scope string) string {
	var lines []string
	for _, name := range names {
		var vals []string
		switch {
		case name == "host":
			vals = []string{r.Host}
		case len(r.Header.Values(name)) > 0:
			vals = r.Header.Values(name)
		case name == "content-length" && r.ContentLength > 0:
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		clean := make([]string, len(vals))
		for i, v := range vals {
			clean[i] = strings.Join(strings.FieldsFunc(strings.TrimSpace(v), func(c rune) bool { return c == ' ' }), " ")
		}
		lines = append(lines, name+":"+strings.Join(clean, ","))
	}
	bodySum := sha256.Sum256(body)
	creq := strings.Join([]string{
		r.Method, uri, query,
		strings.Join(lines, "\n") + "\n",
		strings.Join(names, ";"),
		hex.EncodeToString(bodySum[:]),
	}, "\n")
	creqSum := sha256.Sum256([]byte(creq))
	sts := strings.Join([]string{"AWS4-HMAC-SHA256", amzDate, scope, hex.EncodeToString(creqSum[:])}, "\n")

	mac := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	parts := strings.Split(scope, "/")
	k := mac([]byte("AWS4"+secret), parts[0])
	for _, p := range parts[1:] {
		k = mac(k, p)
	}
	return hex.EncodeToString(mac(k, sts))
}

// refAuthz is an Authorization header parsed the slow, obvious way.
type refAuthz struct {
	credential, signature string
	signedHeaders         []string
}

func parseRefAuthz(h string) refAuthz {
	var a refAuthz
	_, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			a.credential = v
		case "Signature":
			a.signature = v
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		}
	}
	return a
}

// refSign sets X-Amz-Date and an Authorization header that signs names
// (sorted, lower-case) on a request whose canonical URI is "/" and query
// empty, using refSignature.
func refSign(r *http.Request, body []byte, akid, secret, region, service, amzDate string, names []string) {
	if amzDate != "" {
		r.Header.Set("X-Amz-Date", amzDate)
	}
	date := amzDate
	if date == "" {
		t, _ := http.ParseTime(r.Header.Get("Date"))
		date = t.UTC().Format(compactISO8601)
	}
	scope := date[:8] + "/" + region + "/" + service + "/aws4_request"
	sig := refSignature(secret, r, body, names, "/", "", date, scope)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/"+scope+
		", SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
}
