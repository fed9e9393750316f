package policy

// Evaluate returns Deny if any statement that applies to the request denies,
// else Allow if any applicable statement allows, else NotApplicable
// ("An explicit deny in any policy overrides any allows", IAM policy
// evaluation logic). For key and trust policies both kinds of allow
// (direct and account) count as Allow; use EvaluateResource to tell them apart.
func (p *Policy) Evaluate(r *Request) Effect {
	switch p.EvaluateResource(r) {
	case ResourceDeny:
		return Deny
	case ResourceAllowDirect, ResourceAllowAccount:
		return Allow
	}
	return NotApplicable
}

// EvaluateResource evaluates the policy as a resource policy: a Deny wins;
// otherwise an Allow naming the caller itself (ResourceAllowDirect) is
// stronger than one naming only the caller's account (ResourceAllowAccount).
// For identity policies every allow is direct.
func (p *Policy) EvaluateResource(r *Request) ResourceEffect {
	return p.evaluate(r, false)
}

func (p *Policy) evaluate(r *Request, anyResource bool) ResourceEffect {
	e := evalCtx{p: r.Principal, ctx: r.Context}
	best := ResourceNotApplicable
	for i := range p.stmts {
		st := &p.stmts[i]
		if st.deny {
			// A Deny only matters if it applies; check it fully.
			if m := st.applies(r, &e, anyResource); m != pmNone {
				return ResourceDeny
			}
			continue
		}
		if best == ResourceAllowDirect {
			continue // cannot improve; still look for denies
		}
		switch st.applies(r, &e, anyResource) {
		case pmDirect:
			best = ResourceAllowDirect
		case pmAccount:
			best = ResourceAllowAccount
		}
	}
	return best
}

// applies reports whether the statement applies to the request, and how its
// Principal names the caller (pmDirect for identity policies).
func (st *statement) applies(r *Request, e *evalCtx, anyResource bool) pmatch {
	m := pmDirect
	if st.hasPrincipal {
		if st.notPrincipal {
			if !st.principals.notMatch(r.Principal) {
				return pmNone
			}
		} else if m = st.principals.match(r.Principal); m == pmNone {
			return pmNone
		}
	}
	if !st.matchAction(r.Action) {
		return pmNone
	}
	if st.hasResource && !anyResource {
		e.ambiguous = false
		hit := st.matchResource(r.Resource, e)
		if e.ambiguous {
			hit = st.deny // a variable with several values: see condition.eval
		}
		if !hit {
			return pmNone
		}
	}
	for i := range st.conds {
		if !st.conds[i].eval(e, st.deny) {
			return pmNone
		}
	}
	return m
}

func (st *statement) matchAction(a string) bool {
	hit := false
	for i := range st.actions {
		if st.actions[i].match(a, nil) {
			hit = true
			break
		}
	}
	return hit != st.notAction
}

func (st *statement) matchResource(res string, e *evalCtx) bool {
	hit := false
	for i := range st.resources {
		if st.resources[i].match(res, e) {
			hit = true
			break
		}
	}
	return hit != st.notResource
}
