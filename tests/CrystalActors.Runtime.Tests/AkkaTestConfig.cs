using Akka.Configuration;
using CrystalActors.Runtime.Cluster;

namespace CrystalActors.Runtime.Tests;

/// <summary>
/// TestKit configuration: the project's hocon/akka.conf (serializer bindings) on a local provider, in-memory journal,
/// and serialize-messages on, so every message a test sends goes through WireSerializer as if it crossed a node.
/// </summary>
public static class AkkaTestConfig
{
    public static Config Local { get; } = ConfigurationFactory.ParseString("""
        akka.actor.provider = local
        akka.actor.serialize-messages = on
        akka.actor.serialize-creators = off
        akka.loggers = ["Akka.TestKit.TestEventListener, Akka.TestKit"]
        akka.loglevel = WARNING
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """).WithFallback(Hocon.Load("akka.conf"));
}
