#!/usr/bin/env python3
"""Talks to a vlm server from Python: health check, model list, one streamed generation.

Generate the stubs first with ./gen_stubs.sh, then for example:

    python3 vlm_example.py --target localhost:50051 --model tiny-llava \\
        --image cat.png "What is in this picture?" --max-tokens 32

stdout gets the generated text as it arrives, then a newline and a last line

    finish_reason=<eos|length|stop|cancelled> completion_tokens=N token_ids=1,2,3

The health status and the model list go to stderr. On a failed call it prints
"error: <STATUS_CODE>: <details>" to stderr and exits with the same codes as the Java
`vlm` command (3 rejected, 4 not found, 5 unavailable, 6 timeout, 130 cancelled, 1 other).
"""

import argparse
import os
import sys

import grpc

HEALTH_CHECK_METHOD = "/grpc.health.v1.Health/Check"
# grpc.health.v1.HealthCheckResponse.ServingStatus
HEALTH_STATUS_NAMES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}

EXIT_USAGE = 2
EXIT_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT: 3,
    grpc.StatusCode.FAILED_PRECONDITION: 3,
    grpc.StatusCode.OUT_OF_RANGE: 3,
    grpc.StatusCode.NOT_FOUND: 4,
    grpc.StatusCode.UNAVAILABLE: 5,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 5,
    grpc.StatusCode.ABORTED: 5,
    grpc.StatusCode.DEADLINE_EXCEEDED: 6,
    grpc.StatusCode.UNAUTHENTICATED: 7,
    grpc.StatusCode.PERMISSION_DENIED: 7,
    grpc.StatusCode.CANCELLED: 130,
}


def load_stubs(stub_dir):
    """Imports the generated vlm.v1 modules from stub_dir."""
    sys.path.insert(0, stub_dir)
    try:
        from vlm.v1 import inference_pb2, inference_pb2_grpc, models_pb2, models_pb2_grpc
    except ImportError as e:
        sys.exit(f"error: no vlm.v1 stubs in {stub_dir} ({e}); run gen_stubs.sh first")
    return inference_pb2, inference_pb2_grpc, models_pb2, models_pb2_grpc


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt", help="the prompt (a user message, images first)")
    parser.add_argument("--target", default="localhost:50051", help="server host:port")
    parser.add_argument("--model", required=True, help="model name, see the model list")
    parser.add_argument("--image", action="append", default=[], metavar="PATH",
                        help="image file; repeat for several, in order")
    parser.add_argument("--max-tokens", type=int, default=0, help="most tokens to generate")
    parser.add_argument("--temperature", type=float, help="0 is greedy decoding")
    parser.add_argument("--seed", type=int, help="sampler seed")
    parser.add_argument("--raw", action="store_true",
                        help="send the prompt as is (it must hold one image placeholder per image)")
    parser.add_argument("--unary", action="store_true",
                        help="use the unary Generate call instead of the stream")
    parser.add_argument("--tenant", help="tenant id, sent as the x-tenant header")
    parser.add_argument("--api-key", default=os.environ.get("VLM_API_KEY"),
                        help="API key, sent as 'authorization: Bearer KEY' (default: $VLM_API_KEY)")
    parser.add_argument("--tls", action="store_true",
                        help="connect over TLS (implied by --ca-cert and --cert)")
    parser.add_argument("--ca-cert", metavar="PEM", help="trust only these CA certificates")
    parser.add_argument("--cert", metavar="PEM", help="client certificate, for mutual TLS")
    parser.add_argument("--key", metavar="PEM", help="the client certificate's private key")
    parser.add_argument("--timeout", type=float, help="deadline per call, in seconds")
    parser.add_argument("--stubs", default=os.path.join(here, "build"),
                        help="directory holding the generated stubs (default: %(default)s)")
    return parser.parse_args()


def decode_health_status(response_bytes):
    """Reads field 1 (status, a varint) of an encoded HealthCheckResponse."""
    i = 0
    while i < len(response_bytes):
        key, i = read_varint(response_bytes, i)
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, i = read_varint(response_bytes, i)
            if field == 1:
                return value
        elif wire_type == 2:
            length, i = read_varint(response_bytes, i)
            i += length
        elif wire_type == 1:
            i += 8
        elif wire_type == 5:
            i += 4
        else:
            raise ValueError(f"unexpected wire type {wire_type} in HealthCheckResponse")
    return 0  # proto3 leaves the default (UNKNOWN) off the wire


def read_varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def check_health(channel, timeout):
    """Asks grpc.health.v1 for the server's overall status. Returns the status name.

    Debian's python3-grpcio has no grpc_health package, so the call is made without
    stubs: an empty HealthCheckRequest (service "") encodes to no bytes, and the
    response has a single varint field.
    """
    check = channel.unary_unary(
        HEALTH_CHECK_METHOD,
        request_serializer=lambda request: request,
        response_deserializer=lambda response: response,
    )
    return HEALTH_STATUS_NAMES.get(decode_health_status(check(b"", timeout=timeout)), "UNKNOWN")


def short_enum_name(enum_type, value, prefix):
    name = enum_type.Name(value) if value in enum_type.values() else f"{prefix}UNKNOWN"
    return name[len(prefix):]


def build_request(args, inference_pb2):
    images = []
    for path in args.image:
        try:
            with open(path, "rb") as f:
                images.append(inference_pb2.Image(data=f.read()))
        except OSError as e:
            print(f"error: cannot read image {path}: {e.strerror}", file=sys.stderr)
            sys.exit(EXIT_USAGE)
    request = inference_pb2.GenerateRequest(model=args.model)
    if args.raw:
        request.prompt = args.prompt
        request.images.extend(images)
    else:
        user = request.messages.add(role="user")
        for image in images:
            user.content.add(image=image)
        user.content.add(text=args.prompt)
    if args.max_tokens:
        request.sampling.max_new_tokens = args.max_tokens
    if args.temperature is not None:
        request.sampling.temperature = args.temperature
    if args.seed is not None:
        request.sampling.seed = args.seed
    return request


def read_file(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        print(f"error: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def open_channel(args):
    """A plaintext channel, or TLS when asked for (mutual TLS with --cert and --key)."""
    if (args.cert is None) != (args.key is None):
        print("error: --cert and --key go together", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    if not (args.tls or args.ca_cert or args.cert):
        return grpc.insecure_channel(args.target)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read_file(args.ca_cert) if args.ca_cert else None,
        private_key=read_file(args.key) if args.key else None,
        certificate_chain=read_file(args.cert) if args.cert else None)
    return grpc.secure_channel(args.target, credentials)


def main():
    args = parse_args()
    inference_pb2, inference_pb2_grpc, models_pb2, models_pb2_grpc = load_stubs(args.stubs)
    metadata = []
    if args.tenant:
        metadata.append(("x-tenant", args.tenant))
    if args.api_key:
        metadata.append(("authorization", "Bearer " + args.api_key))
    metadata = metadata or None
    request = build_request(args, inference_pb2)

    with open_channel(args) as channel:
        call, line_started = None, False
        try:
            try:
                print(f"health: {check_health(channel, args.timeout)}", file=sys.stderr)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                    raise
                print("health: the server has no grpc.health.v1 service", file=sys.stderr)

            models = models_pb2_grpc.ModelsStub(channel).ListModels(
                models_pb2.ListModelsRequest(), metadata=metadata, timeout=args.timeout).models
            print("models:", file=sys.stderr)
            for model in models:
                state = short_enum_name(models_pb2.ModelState, model.state, "MODEL_STATE_")
                print(f"  {model.name} ({model.family}) {state} {model.error}".rstrip(),
                      file=sys.stderr)
            if args.model not in {model.name for model in models}:
                print(f"warning: the server does not list model {args.model}", file=sys.stderr)

            inference = inference_pb2_grpc.InferenceStub(channel)
            if args.unary:
                responses = [inference.Generate(request, metadata=metadata, timeout=args.timeout)]
            else:
                call = inference.GenerateStream(request, metadata=metadata, timeout=args.timeout)
                responses = call
            token_ids, last = [], None
            for response in responses:
                if response.text:
                    sys.stdout.write(response.text)
                    sys.stdout.flush()
                    line_started = True
                token_ids.extend(response.token_ids)
                last = response
        except grpc.RpcError as e:
            if line_started:
                print()  # ends the text cut short by the failure
            print(f"error: {e.code().name}: {e.details()}", file=sys.stderr)
            return EXIT_CODES.get(e.code(), 1)
        except KeyboardInterrupt:
            if call is not None:
                call.cancel()  # tells the server to stop generating
            if line_started:
                print()
            print("error: CANCELLED: interrupted", file=sys.stderr)
            return 130

    finish_reason = short_enum_name(inference_pb2.FinishReason, last.finish_reason,
                                    "FINISH_REASON_").lower() if last else "none"
    completion_tokens = last.usage.completion_tokens if last else 0
    print()
    print(f"finish_reason={finish_reason} completion_tokens={completion_tokens} "
          f"token_ids={','.join(str(t) for t in token_ids)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
