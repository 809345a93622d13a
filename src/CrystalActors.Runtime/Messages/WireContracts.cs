namespace CrystalActors.Runtime.Messages;

/// <summary>
/// Marker of every message (and journal event) that may leave a process: to another node over Akka.Remote,
/// or to the journal. hocon/akka.conf binds this interface to <see cref="WireSerializer"/>, so no such message
/// falls back to Akka's default serializer.
/// </summary>
public interface IWireMessage;

/// <summary>
/// Binds a record to its stable wire name and schema version; the Akka manifest is <c>name.vN</c>.
/// Renaming or moving the C# type keeps the wire name; changing its shape means a new version.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class MessageContractAttribute(string name, int version = 1) : Attribute
{
    public string Name { get; } = name;
    public int Version { get; } = version;
    public string Manifest => $"{Name}.v{Version}";
}

/// <summary>
/// Marks a System.Text.Json converter that <see cref="WireSerializer"/> installs for every message, e.g. the
/// one that writes a Structure as an MP-20 JSON line: domain objects travel as objects in-process and
/// are serialised only at the node boundary.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class WireConverterAttribute : Attribute;
