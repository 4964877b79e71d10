#!/usr/bin/env python3
"""A generic gRPC client that knows nothing of evpnd: it learns the API over
reflection, lists the services, and calls evpn.v1.DaemonService/GetStatus.

Usage: grpc_generic_client.py unix:/path/to/socket
Prints one JSON object: {"services": [...], "status": {...}}.
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pool
from google.protobuf.json_format import MessageToDict
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def message_class(pool, name):
    desc = pool.FindMessageTypeByName(name)
    try:
        from google.protobuf.message_factory import GetMessageClass

        return GetMessageClass(desc)
    except ImportError:  # protobuf < 4.21
        from google.protobuf.message_factory import MessageFactory

        return MessageFactory(pool).GetPrototype(desc)


def main():
    target = sys.argv[1]
    # Default options: grpc-core sends the socket path as :authority
    # ("tmp%2F...sock"), which evpnd accepts (crates/api/src/authority/).
    with grpc.insecure_channel(target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        req = reflection_pb2.ServerReflectionRequest(list_services="")
        services = []
        for resp in stub.ServerReflectionInfo(iter([req]), timeout=10):
            services += [s.name for s in resp.list_services_response.service]

        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        method = pool.FindMethodByName("evpn.v1.DaemonService.GetStatus")
        request_cls = message_class(pool, method.input_type.full_name)
        response_cls = message_class(pool, method.output_type.full_name)
        call = channel.unary_unary(
            "/evpn.v1.DaemonService/GetStatus",
            request_serializer=request_cls.SerializeToString,
            response_deserializer=response_cls.FromString,
        )
        status = call(request_cls(), timeout=10)
        print(json.dumps({"services": sorted(services), "status": MessageToDict(status)}))


if __name__ == "__main__":
    main()
