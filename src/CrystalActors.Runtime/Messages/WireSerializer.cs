using System.Collections.Frozen;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace CrystalActors.Runtime.Messages;

/// <summary>
/// The one serializer of every <see cref="IWireMessage"/>: compact JSON (System.Text.Json, camelCase) under a
/// stable string manifest taken from <see cref="MessageContractAttribute"/>. Contracts and converters are found
/// in every loaded CrystalActors assembly, so the runtime needs no reference to the campaign's types.
/// A frame with an unknown manifest or a payload that does not parse raises a <see cref="SerializationException"/>
/// naming the manifest: Akka.Remote logs it and drops that one message; the association stays up.
/// </summary>
public sealed class WireSerializer : SerializerWithStringManifest
{
    /// <summary>Akka serializer id (ids below 100 are Akka's own).</summary>
    public const int Id = 4711;

    private static readonly Lazy<Registry> Contracts = new(Registry.Build);

    public WireSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => Id;

    /// <summary>The options every message is written with (also used by tests and journal tools).</summary>
    public static JsonSerializerOptions Json => Contracts.Value.Options;

    public override string Manifest(object o) => Contracts.Value.ManifestOf(o.GetType());

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest) => Decode(bytes, manifest);

    /// <summary>Decodes a payload; a <see cref="SerializationException"/> names the manifest and the fault.</summary>
    public static object Decode(byte[] bytes, string manifest)
    {
        if (!Contracts.Value.ByManifest.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown message manifest '{manifest}' (sent by a newer or different build?)");
        try
        {
            return JsonSerializer.Deserialize(bytes, type, Json)
                   ?? throw new SerializationException($"empty '{manifest}' payload");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or FormatException or InvalidOperationException)
        {
            throw new SerializationException($"corrupt '{manifest}' payload: {e.Message}", e);
        }
    }

    /// <summary>The manifest a message is written under.</summary>
    public static string ManifestOf(object message) => Contracts.Value.ManifestOf(message.GetType());

    /// <summary>Encodes a message as this serializer does (tests, journal tools).</summary>
    public static byte[] Encode(object message) => JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), Json);

    /// <summary>Round trip through the serializer without an actor system (tests).</summary>
    public static T RoundTrip<T>(T message) where T : notnull => (T)Decode(Encode(message), ManifestOf(message));

    private sealed class Registry
    {
        public required FrozenDictionary<string, Type> ByManifest { get; init; }
        public required FrozenDictionary<Type, string> ByType { get; init; }
        public required JsonSerializerOptions Options { get; init; }

        public string ManifestOf(Type t) => ByType.TryGetValue(t, out var m)
            ? m : throw new SerializationException($"{t.FullName} implements IWireMessage but has no [MessageContract]");

        public static Registry Build()
        {
            // The runtime and every assembly that references it (campaign, CLI, tests) may define contracts.
            var runtime = typeof(IWireMessage).Assembly;
            foreach (var name in KnownAssemblies)
                try { Assembly.Load(name); } catch (FileNotFoundException) { }
            var assemblies = AppDomain.CurrentDomain.GetAssemblies()
                .Where(a => a == runtime || a.GetReferencedAssemblies().Any(r => r.Name == runtime.GetName().Name))
                .Distinct().ToList();
            var byManifest = new Dictionary<string, Type>(StringComparer.Ordinal);
            var options = new JsonSerializerOptions
            {
                PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
                DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
                NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            };
            options.Converters.Add(new JsonStringEnumConverter());
            foreach (var type in assemblies.SelectMany(SafeTypes))
            {
                if (type.GetCustomAttribute<MessageContractAttribute>() is { } c)
                {
                    if (byManifest.TryGetValue(c.Manifest, out var other) && other != type)
                        throw new InvalidOperationException($"wire manifest '{c.Manifest}' is claimed by both {other.FullName} and {type.FullName}");
                    byManifest[c.Manifest] = type;
                }
                if (type.GetCustomAttribute<WireConverterAttribute>() is not null && typeof(JsonConverter).IsAssignableFrom(type))
                    options.Converters.Add((JsonConverter)Activator.CreateInstance(type)!);
            }
            return new Registry
            {
                ByManifest = byManifest.ToFrozenDictionary(StringComparer.Ordinal),
                ByType = byManifest.ToFrozenDictionary(kv => kv.Value, kv => kv.Key),
                Options = options,
            };
        }

        /// <summary>Loaded eagerly when present, so a node that has not touched their types yet can still decode them.</summary>
        private static readonly string[] KnownAssemblies = ["CrystalActors.Campaign"];

        private static IEnumerable<Type> SafeTypes(Assembly a)
        {
            try { return a.GetTypes(); }
            catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null)!; }
        }
    }
}
