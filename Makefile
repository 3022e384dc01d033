# The two commands the README opens with. Both install what a new Debian machine lacks first.
.PHONY: deps demo test

deps:
	@bash .ci/install-deps

# Builds Intake, drops the bundled fixtures into spool/inbox/ and processes them once.
demo: deps
	swift build
	mkdir -p spool/inbox
	cp -R fixtures/inbox/. spool/inbox/
	.build/debug/intake --spool spool run --once
	@echo
	@echo "Results: spool/outbox/<partner>/ (NAME.result.json, NAME.errors.csv)"
	@echo "Originals: spool/done/ and spool/rejected/. Jobs: .build/debug/intake --spool spool jobs list"
	@ls -R spool/outbox

# Builds everything and runs the whole test suite (unit and end-to-end).
test: deps
	swift build
	swift test
