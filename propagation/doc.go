// Package propagation carries what a record needs to know about its request into the
// context: request IDs, attributes bound along the way, and detached contexts for
// background jobs. Trace context across process boundaries is the OpenTelemetry
// instrumentation's job (otelhttp, otelgrpc): the SDK takes the span from the context a
// record is logged with.
//
//	HTTP/gRPC middleware ─► context ─► processor.Correlate reads it
//
// It sits beside the data path rather than on it: nothing here converts or exports records.
//
//	handler := otelhttp.NewHandler(propagation.RequestIDMiddleware(propagation.RecoverMiddleware(mux, log)), "orders")
//
//	func createOrder(w http.ResponseWriter, r *http.Request) {
//		ctx := propagation.With(r.Context(), "user_id", 88) // on every record logged with ctx
//		propagation.Go(ctx, log, "send invoice", sendInvoice) // outlives the request; panics logged
//	}
package propagation
