#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Validate SARIF files against the official SARIF 2.1.0 JSON schema
// (tests/data/sarif-schema-2.1.0.json) with ajv and ajv-formats, and check
// what the schema cannot: valid UTF-8, ruleIndex and artifact index
// pointing at the entries they name, one result per finding id.
//
//   node tests/report/validate-sarif.js FILE.sarif...
// Needs `npm ci --prefix tests` (tests/report/run.sh does it).
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const schemaPath = path.join(__dirname, '..', 'data', 'sarif-schema-2.1.0.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

let bad = 0;
for (const file of process.argv.slice(2)) {
	const problems = [];
	let doc;
	try {
		const bytes = fs.readFileSync(file);
		const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
		doc = JSON.parse(text);
	} catch (e) {
		problems.push(`not UTF-8 JSON: ${e.message}`);
	}
	if (doc && !validate(doc))
		for (const e of validate.errors)
			problems.push(`schema: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
	for (const [r, run] of ((doc && doc.runs) || []).entries()) {
		const rules = (run.tool.driver.rules || []).map((x) => x.id);
		const uris = (run.artifacts || []).map((a) => a.location && a.location.uri);
		const seen = new Set();
		const loc = (where, l) => {
			const al = l && l.physicalLocation && l.physicalLocation.artifactLocation;
			if (al && al.index !== undefined && uris[al.index] !== al.uri)
				problems.push(`${where}: artifact index ${al.index} is ${uris[al.index]}, uri is ${al.uri}`);
		};
		for (const [i, res] of (run.results || []).entries()) {
			const w = `runs[${r}].results[${i}]`;
			if (res.ruleIndex !== undefined && rules[res.ruleIndex] !== res.ruleId)
				problems.push(`${w}: ruleIndex ${res.ruleIndex} is ${rules[res.ruleIndex]}, ruleId is ${res.ruleId}`);
			for (const l of res.locations || []) loc(w, l);
			for (const l of res.relatedLocations || []) loc(w, l);
			const fp = JSON.stringify(res.partialFingerprints || {});
			if (seen.has(fp)) problems.push(`${w}: fingerprint ${fp} repeated`);
			seen.add(fp);
		}
	}
	if (problems.length) {
		bad++;
		console.log(`INVALID ${file}`);
		for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
	} else {
		console.log(`valid ${file}`);
	}
}
process.exit(bad ? 1 : 0);
