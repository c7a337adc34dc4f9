// Package drivertest is the conformance suite every driver runs: one set
// of checks of the Driver contract (and of Verifier and Rollbacker, when a
// driver offers them), so that the runner can treat all drivers alike.
//
// A driver's test describes how to make the driver and a test asset in a
// Harness, and calls Run:
//
//	func TestConformance(t *testing.T) {
//		drivertest.Run(t, drivertest.Harness{
//			Driver: func(t *testing.T) driver.Driver { ... },
//			Target: func(t *testing.T) drivertest.Case { ... },
//		})
//	}
package drivertest
